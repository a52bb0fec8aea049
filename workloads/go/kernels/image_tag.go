// image_tag.go: image_tag (Go ImageURI / the seed's BuildKey): image + ":" + tag into a
// new string the caller owns.
//
// Guarantees: pooled, a String builder is taken, built into, the result copied out into
// a fresh string, and the builder put back (the pool drops one grown past 2 KiB);
// unpooled, one exact-size allocation built in place (strings.Builder with Grow);
// Plain (Branch B), the idiomatic concatenation (one exact allocation by the runtime).
// The returned string never shares memory with a pooled builder.
package kernels

import (
	"strings"

	"poolbench/workloads/go/memory"
)

// ImageTag returns image + ":" + tag.
func (k *K) ImageTag(image, tag string) string {
	switch {
	case k.Mem.Plain(memory.String):
		return image + ":" + tag
	case k.Mem.Pooled(memory.String):
		b := k.Mem.GetBuilder()
		b.WriteString(image)
		b.WriteByte(':')
		b.WriteString(tag)
		s := string(b.Bytes()) // the copy out: a fresh allocation
		k.Mem.PutBuilder(b)
		return s
	}
	var sb strings.Builder
	sb.Grow(len(image) + 1 + len(tag))
	sb.WriteString(image)
	sb.WriteByte(':')
	sb.WriteString(tag)
	return sb.String()
}
