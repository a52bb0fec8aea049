/* placeholder: being written by another helper */
