package partition

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// Kafka's UtilsTest.testMurmur2 vectors.
func TestMurmur2KafkaVectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	} {
		if got := Murmur2([]byte(tc.in)); got != tc.want {
			t.Errorf("Murmur2(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// Reference MurmurHash3_x86_32 vectors (SMHasher / Guava).
func TestMurmur3Vectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0},
		{"", 1, 0x514e28b7},
		{"hello", 0, 0x248bfa47},
		{"The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723},
	} {
		if got := Murmur3x86(tc.in, tc.seed); got != tc.want {
			t.Errorf("Murmur3x86(%q, %d) = %#x, want %#x", tc.in, tc.seed, got, tc.want)
		}
	}
}

func TestJavaHashes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int32
	}{
		{"", 0},
		{"hello", 99162322},
		{"Aa", 2112},
		{"BB", 2112},
		{"polygenelubricants", -1 << 31},
		{"é", 0xe9},               // one UTF-16 unit
		{"😀", 0xd83d*31 + 0xde00}, // surrogate pair
	} {
		if got := JavaStringHash(tc.in); got != tc.want {
			t.Errorf("JavaStringHash(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []byte
		want int32
	}{
		{nil, 1},
		{[]byte("a"), 31 + 97},
		{[]byte{0xff}, 31 - 1},          // signed byte
		{[]byte("ab"), (31+97)*31 + 98}, // 4066
	} {
		if got := JavaBytesHash(tc.in); got != tc.want {
			t.Errorf("JavaBytesHash(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// Golden partitions computed from Pinot's definitions by hand from the
// hashes above.
func TestPartitionGolden(t *testing.T) {
	for _, tc := range []struct {
		fn    string
		n     int
		value string
		want  int
	}{
		// (-973932308 & 0x7fffffff) = 1173551340; % 4 = 0, % 7 = 1173551340 % 7
		{"Murmur", 4, "21", 1173551340 % 4},
		{"murmur2", 7, "21", 1173551340 % 7},
		{"MURMUR", 10, "foobar", int((int32(-790332482) & 0x7fffffff) % 10)},
		{"Murmur3", 8, "hello", 0x248bfa47 % 8},
		{"Murmur3", 5, "The quick brown fox jumps over the lazy dog", 0x2e4ff723 % 5},
		{"Modulo", 4, "42", 2},
		{"modulo", 4, "-7", 1}, // Java -7 % 4 = -3, + 4
		{"Modulo", 4, "-8", 0},
		{"Modulo", 3, "9223372036854775807", int(9223372036854775807 % 3)},
		{"Modulo", 4, "4.5", -1},
		{"Modulo", 4, "abc", -1},
		{"Modulo", 4, "", -1},
		{"Modulo", 4, "+5", 1},
		{"HashCode", 4, "hello", 99162322 % 4},
		{"HashCode", 7, "polygenelubricants", 0}, // abs(MinInt32) = 0 (Kafka)
		{"hashcode", 10, "Aa", 2},
		{"ByteArray", 100, "ab", 66},
		{"ByteArray", 7, "a", 128 % 7},
		{"FNV", 16, "", int((0x811c9dc5 & 0x7fffffff) % 16)},
		{"fnv", 1000, "a", int((0xe40c292c & 0x7fffffff) % 1000)},
	} {
		f, err := New(tc.fn, tc.n)
		if err != nil {
			t.Fatalf("New(%q, %d): %v", tc.fn, tc.n, err)
		}
		if got := f.Partition(tc.value); got != tc.want {
			t.Errorf("%s/%d Partition(%q) = %d, want %d", tc.fn, tc.n, tc.value, got, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"Nope", 4, "known: Murmur, Murmur3, Modulo, HashCode, ByteArray, FNV"},
		{"BoundedColumnValue", 4, "unknown function"},
		{"Murmur", 0, "must be > 0"},
		{"Murmur", -1, "must be > 0"},
	} {
		_, err := New(tc.name, tc.n)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %d) = %v, want error containing %q", tc.name, tc.n, err, tc.want)
		}
	}
	f, err := New(" hashCode ", 3)
	if err != nil || f.Name() != "HashCode" || f.NumPartitions() != 3 {
		t.Errorf("New(hashCode) = %v, %v", f, err)
	}
}

// javaMurmur2 follows Pinot's Java text literally (int32 arithmetic,
// sign-extended bytes masked with 0xff, additions instead of ORs): the
// naive reference for the differential fuzz test.
func javaMurmur2(data []byte) int32 {
	length := int32(len(data))
	const m, r = int32(0x5bd1e995), 24
	h := int32(-1756908916) ^ length // 0x9747b28c
	for i := int32(0); i < length/4; i++ {
		i4 := i * 4
		k := int32(data[i4]&0xff) + int32(data[i4+1]&0xff)<<8 + int32(data[i4+2]&0xff)<<16 + int32(data[i4+3]&0xff)<<24
		k *= m
		k ^= int32(uint32(k) >> r)
		k *= m
		h *= m
		h ^= k
	}
	switch length % 4 {
	case 3:
		h ^= int32(data[(length&^3)+2]&0xff) << 16
		fallthrough
	case 2:
		h ^= int32(data[(length&^3)+1]&0xff) << 8
		fallthrough
	case 1:
		h ^= int32(data[length&^3] & 0xff)
		h *= m
	}
	h ^= int32(uint32(h) >> 13)
	h *= m
	h ^= int32(uint32(h) >> 15)
	return h
}

// javaStringHash goes through utf16.Encode, the direct definition.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

func FuzzPartition(f *testing.F) {
	for _, s := range []string{"", "21", "foobar", "😀é", "-7", "9223372036854775808", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, b := Murmur2([]byte(s)), javaMurmur2([]byte(s)); a != b {
			t.Fatalf("Murmur2(%q) = %d, reference %d", s, a, b)
		}
		if a, b := JavaStringHash(s), javaStringHash(s); a != b {
			t.Fatalf("JavaStringHash(%q) = %d, reference %d", s, a, b)
		}
		for _, name := range Known() {
			for _, n := range []int{1, 3, 4, 1 << 30} {
				fn, err := New(name, n)
				if err != nil {
					t.Fatal(err)
				}
				p := fn.Partition(s)
				if p < -1 || p >= n || (p == -1 && name != "Modulo") {
					t.Fatalf("%s/%d Partition(%q) = %d out of range", name, n, s, p)
				}
			}
		}
	})
}
