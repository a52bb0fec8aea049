#!/usr/bin/env python3
"""pprof_decode.py: an independent decoder of pprof profiles (gzip + the protobuf wire
format, written from the encoding spec, sharing nothing with the runner's protobuf-c
encoder). Prints one JSON object: sample types, period type and period, default sample
type, the total of each sample type, the number of samples, locations and functions,
the function names, and the leaf functions (the innermost function of each sample's
first location: the allocation site of a heap profile). Usage: pprof_decode.py FILE"""
import gzip, json, sys


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << s; s += 7
        if c < 0x80:
            return v, i


def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        elif wt == 1:
            v = int.from_bytes(b[i:i + 8], "little"); i += 8
        elif wt == 5:
            v = int.from_bytes(b[i:i + 4], "little"); i += 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def ints(wt, v):
    """a repeated integer field: packed (wire type 2) or one value"""
    if wt != 2:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i); out.append(x)
    return out


def signed(x):
    return x - (1 << 64) if x >= 1 << 63 else x


def main(path):
    raw = gzip.open(path).read()
    st, stypes, samples, fns, nloc = [], [], [], [], 0
    fn_name, loc_fn, leaf_locs = {}, {}, []
    period = default = 0
    ptype = None
    for num, wt, v in fields(raw):
        if num == 1:
            d = dict((n, x) for n, _, x in fields(v)); stypes.append((d.get(1, 0), d.get(2, 0)))
        elif num == 2:
            vals, locs = [], []
            for n, w, x in fields(v):
                if n == 2:
                    vals += [signed(y) for y in ints(w, x)]
                elif n == 1:
                    locs += ints(w, x)
            samples.append(vals)
            if locs:
                leaf_locs.append(locs[0])
        elif num == 4:
            nloc += 1
            lid, first_fn = 0, None
            for n, _, x in fields(v):
                if n == 1:
                    lid = x
                elif n == 4 and first_fn is None:   # Line: innermost first
                    first_fn = dict((a, y) for a, _, y in fields(x)).get(1, 0)
            loc_fn[lid] = first_fn
        elif num == 5:
            d = dict((n, x) for n, _, x in fields(v)); fns.append(d.get(2, 0))
            fn_name[d.get(1, 0)] = d.get(2, 0)
        elif num == 6:
            st.append(v.decode())
        elif num == 11:
            d = dict((n, x) for n, _, x in fields(v)); ptype = (d.get(1, 0), d.get(2, 0))
        elif num == 12:
            period = signed(v)
        elif num == 14:
            default = v
    names = ["%s/%s" % (st[a], st[b]) for a, b in stypes]
    totals = [sum(s[k] for s in samples) for k in range(len(names))]
    print(json.dumps({
        "sample_types": names, "totals": dict(zip(names, totals)),
        "period_type": "%s/%s" % (st[ptype[0]], st[ptype[1]]) if ptype else None,
        "period": period, "default_sample_type": st[default] if default else "",
        "samples": len(samples), "locations": nloc,
        "functions": sorted(set(st[f] for f in fns)),
        "leaf_functions": sorted(set(st[fn_name.get(loc_fn.get(l), 0)] for l in leaf_locs)),
        "string0": st[0] if st else None}))


if __name__ == "__main__":
    main(sys.argv[1])
