// Package partition implements Apache Pinot's segment partition functions,
// bit-exact with Pinot, so that segments partitioned by Pinot (or by a
// stream producer using Kafka's partitioner) and segments built by Tannin
// agree on which partition a value belongs to, and so that the broker can
// skip segments whose partition cannot hold a queried value.
//
// A function is chosen by the name a table config gives in
// segmentPartitionConfig.columnPartitionMap (matched case-insensitively, as
// Pinot's PartitionFunctionFactory does) and a partition count:
//
//	f, err := partition.New("Murmur", 4)
//	p := f.Partition("order-42") // 0..3
//
// Partition takes the value's Pinot string form, which is what Pinot hashes:
// its functions call value.toString() on the stored object (or take a
// String), so an INT or LONG 42 is "42", a STRING is itself, a DOUBLE is
// Java's Double.toString form. Callers convert before calling.
//
// The functions (numPartitions = n):
//
//	Murmur, Murmur2  (murmur2(utf8(v)) & 0x7fffffff) % n, murmur2 being
//	                 Kafka's Utils.murmur2 (seed 0x9747b28c)
//	Murmur3          (murmur3_x86_32(utf8(v), seed 0) & 0x7fffffff) % n, Pinot's
//	                 default variant (x86_32) and seed (0); the functionConfig
//	                 variants (x64_32, other seeds) are not implemented
//	Modulo           int(parseLong(v) % n), plus n when negative; a value that
//	                 is not a decimal long has no partition (-1)
//	HashCode         abs(String.hashCode(v)) % n, Java's UTF-16 hash; abs as
//	                 Kafka's Utils.abs (MinInt32 -> 0)
//	ByteArray        abs(Arrays.hashCode(utf8(v))) % n, signed bytes
//	FNV              (fnv1a_32(utf8(v)) & 0x7fffffff) % n, Pinot's default
//	                 variant and negative handling (mask)
//
// Pinot's "BoundedColumnValue" and "Custom" need a functionConfig, which
// Tannin's table config does not carry: New reports them as unknown.
package partition
