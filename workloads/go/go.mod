module poolbench/workloads/go

go 1.19
