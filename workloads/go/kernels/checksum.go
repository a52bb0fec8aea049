// checksum.go: checksum (Go ComputeChecksum), sum_checksum (SumChecksum) and
// checksum_concurrent (ComputeChecksumConcurrent).
//
// Guarantees, as in KERNELS.md: checksum hashes inputs of DirectMax bytes or less
// directly; larger ones walk the data in steps of a hash buffer's size, hashing full
// steps from the data and copying the final partial step into the buffer first.
// sum_checksum holds a small buffer (never written) while hashing more than SumPoolMin
// bytes of digests. checksum_concurrent is checksum at or below ConcurrentMin bytes or
// when a chunk would be below MinChunk; else `workers` goroutines (at least MinWorkers)
// take chunk indices from a channel, hash each chunk piece by piece through a hash
// buffer, and the result is the SHA-256 of the raw chunk digests in chunk order.
// Plain (Branch B): no buffers at all; every hash is taken straight from the data.
// Every buffer taken is put back.
package kernels

import (
	"crypto/sha256"
	"runtime"
	"sync"

	"poolbench/workloads/go/memory"
)

// Checksum returns the SHA-256 hex of data.
func (k *K) Checksum(data []byte) string {
	if k.Mem.Plain(memory.Hash) || len(data) <= k.P.DirectMax {
		return hexOf(sha256.Sum256(data))
	}
	return hexOf(k.checksumBuffered(data))
}

func (k *K) checksumBuffered(data []byte) (d [sha256.Size]byte) {
	buf := k.Mem.Get(memory.Hash)
	defer k.Mem.Put(memory.Hash, buf)
	h := sha256.New()
	step := len(buf)
	for off := 0; off < len(data); off += step {
		piece := data[off:]
		if len(piece) >= step {
			h.Write(piece[:step]) // a full step: straight from the data
		} else {
			n := copy(buf, piece) // the tail goes through the buffer
			h.Write(buf[:n])
		}
	}
	h.Sum(d[:0])
	return d
}

// SumChecksum returns the SHA-256 hex over the 32-byte digests concatenated in digests
// (len(digests) must be a multiple of 32).
func (k *K) SumChecksum(digests []byte) string {
	if !k.Mem.Plain(memory.Small) && len(digests) > k.P.SumPoolMin {
		held := k.Mem.Get(memory.Small) // held, never written: pure overhead, as in Go
		defer func() {
			runtime.KeepAlive(held)
			k.Mem.Put(memory.Small, held)
		}()
	}
	h := sha256.New()
	for off := 0; off+sha256.Size <= len(digests); off += sha256.Size {
		h.Write(digests[off : off+sha256.Size])
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return hexOf(d)
}

// ChecksumConcurrent returns the hash of chunk hashes of data with `workers` workers.
func (k *K) ChecksumConcurrent(data []byte, workers int) string {
	if len(data) <= k.P.ConcurrentMin {
		return k.Checksum(data)
	}
	if workers < k.P.MinWorkers {
		workers = k.P.MinWorkers
	}
	chunk := len(data) / workers
	if chunk < k.P.MinChunk || chunk == 0 {
		return k.Checksum(data)
	}
	digests := make([][sha256.Size]byte, workers)
	queue := make(chan int, workers)
	for i := 0; i < workers; i++ {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for i := range queue {
				end := (i + 1) * chunk
				if i == workers-1 {
					end = len(data) // the last chunk takes the remainder
				}
				digests[i] = k.hashChunk(data[i*chunk : end])
			}
		}()
	}
	wg.Wait()
	h := sha256.New()
	for i := range digests {
		h.Write(digests[i][:])
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return hexOf(d)
}

// hashChunk hashes one chunk: through a hash buffer one piece at a time, or (Plain)
// directly.
func (k *K) hashChunk(chunk []byte) [sha256.Size]byte {
	if k.Mem.Plain(memory.Hash) {
		return sha256.Sum256(chunk)
	}
	buf := k.Mem.Get(memory.Hash)
	defer k.Mem.Put(memory.Hash, buf)
	h := sha256.New()
	for off := 0; off < len(chunk); {
		n := copy(buf, chunk[off:])
		h.Write(buf[:n])
		off += n
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}
