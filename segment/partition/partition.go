package partition

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Func maps a value to its partition.
type Func interface {
	// Partition returns the partition (0 ≤ p < NumPartitions) of a value
	// given in its Pinot string form, or -1 when the function cannot
	// partition it (Modulo of a value that is not an integer).
	Partition(value string) int
	// Name is the function's canonical Pinot name ("Murmur").
	Name() string
	NumPartitions() int
}

// Known returns the canonical names New accepts (aliases aside).
func Known() []string {
	return []string{"Murmur", "Murmur3", "Modulo", "HashCode", "ByteArray", "FNV"}
}

// New returns the partition function Pinot registers under name (any
// case) with n partitions.
func New(name string, n int) (Func, error) {
	if n <= 0 {
		return nil, fmt.Errorf("new partition function %q: number of partitions must be > 0, got %d", name, n)
	}
	b := base{n: int32(n)}
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "murmur", "murmur2":
		return murmur2Func{b}, nil
	case "murmur3":
		return murmur3Func{b}, nil
	case "modulo":
		return moduloFunc{b}, nil
	case "hashcode":
		return hashCodeFunc{b}, nil
	case "bytearray":
		return byteArrayFunc{b}, nil
	case "fnv":
		return fnvFunc{b}, nil
	}
	return nil, fmt.Errorf("new partition function %q: unknown function (known: %s)", name, strings.Join(Known(), ", "))
}

type base struct{ n int32 }

func (b base) NumPartitions() int { return int(b.n) }

// mask is Pinot's `(h & 0x7fffffff) % n`.
func (b base) mask(h int32) int { return int((h & 0x7fffffff) % b.n) }

// abs is Kafka's Utils.abs followed by `% n`: MinInt32 maps to 0.
func (b base) abs(h int32) int {
	if h < 0 {
		if h == -1<<31 {
			return 0
		}
		h = -h
	}
	return int(h % b.n)
}

type murmur2Func struct{ base }

func (murmur2Func) Name() string             { return "Murmur" }
func (f murmur2Func) Partition(v string) int { return f.mask(Murmur2([]byte(v))) }

type murmur3Func struct{ base }

func (murmur3Func) Name() string             { return "Murmur3" }
func (f murmur3Func) Partition(v string) int { return f.mask(int32(Murmur3x86(v, 0))) }

type moduloFunc struct{ base }

func (moduloFunc) Name() string { return "Modulo" }
func (f moduloFunc) Partition(v string) int {
	x, err := parseJavaLong(v)
	if err != nil {
		return -1
	}
	p := int32(x % int64(f.n))
	if p < 0 {
		p += f.n
	}
	return int(p)
}

// parseJavaLong parses as Java's Long.parseLong: an optional sign ('+' or
// '-') and decimal digits, nothing else.
func parseJavaLong(s string) (int64, error) {
	if s == "" || strings.HasPrefix(s, "+-") || strings.HasPrefix(s, "-+") || strings.ContainsRune(s, '_') {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s, 10, 64)
}

type hashCodeFunc struct{ base }

func (hashCodeFunc) Name() string             { return "HashCode" }
func (f hashCodeFunc) Partition(v string) int { return f.abs(JavaStringHash(v)) }

type byteArrayFunc struct{ base }

func (byteArrayFunc) Name() string             { return "ByteArray" }
func (f byteArrayFunc) Partition(v string) int { return f.abs(JavaBytesHash([]byte(v))) }

type fnvFunc struct{ base }

func (fnvFunc) Name() string { return "FNV" }
func (f fnvFunc) Partition(v string) int {
	h := fnv.New32a()
	h.Write([]byte(v))
	return f.mask(int32(h.Sum32()))
}

// Murmur2 is Kafka's Utils.murmur2 (Pinot's MurmurPartitionFunction.murmur2).
func Murmur2(data []byte) int32 {
	const m, r = 0x5bd1e995, 24
	n := len(data)
	h := uint32(0x9747b28c) ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	t := n &^ 3
	switch n % 4 {
	case 3:
		h ^= uint32(data[t+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[t+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[t])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// Murmur3x86 is MurmurHash3_x86_32 of s's bytes with seed (Guava's
// murmur3_32_fixed).
func Murmur3x86(s string, seed uint32) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	h := seed
	n := len(s)
	i := 0
	for ; i+4 <= n; i += 4 {
		k := uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	var k uint32
	switch n & 3 {
	case 3:
		k ^= uint32(s[i+2]) << 16
		fallthrough
	case 2:
		k ^= uint32(s[i+1]) << 8
		fallthrough
	case 1:
		k ^= uint32(s[i])
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// JavaStringHash is Java's String.hashCode: s*31 over the UTF-16 code
// units. Invalid UTF-8 bytes count as U+FFFD, as Java decodes them.
func JavaStringHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			h = 31*h + int32(r1)
			h = 31*h + int32(r2)
		} else {
			h = 31*h + int32(r)
		}
	}
	return h
}

// JavaBytesHash is Java's Arrays.hashCode(byte[]): 1, then h*31 + b over
// the signed bytes.
func JavaBytesHash(b []byte) int32 {
	h := int32(1)
	for _, c := range b {
		h = 31*h + int32(int8(c))
	}
	return h
}
