package encoding

// Naive reference implementations: one bit at a time, obviously right.

func naivePack(vals []uint64, w int) []byte {
	out := make([]byte, PackedLen(len(vals), w))
	for i, v := range vals {
		for b := 0; b < w; b++ {
			if v>>b&1 != 0 {
				bit := i*w + b
				out[bit/8] |= 1 << (bit % 8)
			}
		}
	}
	return out
}

func naiveGet(src []byte, w, i int) uint64 {
	var v uint64
	for b := 0; b < w; b++ {
		bit := i*w + b
		if src[bit/8]>>(bit%8)&1 != 0 {
			v |= 1 << b
		}
	}
	return v
}
