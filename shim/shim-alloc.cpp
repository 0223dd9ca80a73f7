// shim-alloc.cpp — a caching allocator for libtorch's large CPU buffers.
//
// libtorch 1.13 gives every CPU tensor a fresh posix_memalign block. glibc
// serves blocks over its mmap threshold (at most 32 MiB) with a new mapping,
// so a loop that makes and drops tensors of tens of MiB (the engine's
// tangents, a masked-image batch) pays a page fault and a page clear for
// every 4 KiB of every tensor, every time: on two cores it was half the
// run time of a long IJ (30 s of system time in 42 s). Freed large blocks are
// kept here by rounded size and handed out again; small ones go straight to
// malloc. The cache is bounded and is not used under AddressSanitizer, which
// must see every buffer's lifetime.
#include "shim-private.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <malloc.h>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace lk {

namespace {

constexpr size_t kAlign = 64;                     // as c10's own CPU allocator
constexpr size_t kMinCached = size_t (256) << 10; // smaller blocks: plain malloc
constexpr size_t kMaxCachedBytes = size_t (1) << 30;

// Sizes rounded up to 1/8 of their power of two, so that tensors of nearly
// the same size share blocks (at most 12.5% waste).
size_t
round_size (size_t n)
{
  size_t p = 1;
  while (p < n)
    p <<= 1;
  size_t step = p / 8;
  return (n + step - 1) / step * step;
}

class CachingAllocator final : public c10::Allocator {
public:
  c10::DataPtr
  allocate (size_t n) const override
  {
    void *p = n >= kMinCached ? take (round_size (n)) : raw (n);
    return { p, p, &release, c10::Device (c10::DeviceType::CPU) };
  }

  c10::DeleterFnPtr raw_deleter () const override { return &release; }

  // Hands every cached block back to the system.
  static void
  trim ()
  {
    State &s = state ();
    std::vector<void *> blocks;
    {
      std::lock_guard<std::mutex> lock (s.mu);
      for (auto &kv : s.free_blocks)
        blocks.insert (blocks.end (), kv.second.begin (), kv.second.end ());
      s.free_blocks.clear ();
      s.cached_bytes = 0;
    }
    for (void *p : blocks)
      free (p);
  }

private:
  struct State {
    std::mutex mu;
    std::unordered_map<size_t, std::vector<void *>> free_blocks;
    std::unordered_map<void *, size_t> live;  // large blocks handed out, by size
    size_t cached_bytes = 0;
  };

  // Never destroyed: tensors may be freed while the process exits.
  static State &state ()
  {
    static State *s = new State;
    return *s;
  }

  static void *
  raw (size_t n)
  {
    void *p = nullptr;
    if (posix_memalign (&p, kAlign, n > 0 ? n : kAlign) != 0)
      throw std::bad_alloc ();
    return p;
  }

  static void *
  take (size_t size)
  {
    State &s = state ();
    {
      std::lock_guard<std::mutex> lock (s.mu);
      auto it = s.free_blocks.find (size);
      if (it != s.free_blocks.end () && !it->second.empty ())
        {
          void *p = it->second.back ();
          it->second.pop_back ();
          s.cached_bytes -= size;
          s.live.emplace (p, size);
          return p;
        }
    }
    void *p = raw (size);
    std::lock_guard<std::mutex> lock (s.mu);
    s.live.emplace (p, size);
    return p;
  }

  static void
  release (void *p)
  {
    if (!p)
      return;
    State &s = state ();
    {
      std::lock_guard<std::mutex> lock (s.mu);
      auto it = s.live.find (p);
      if (it != s.live.end ())
        {
          size_t size = it->second;
          s.live.erase (it);
          if (s.cached_bytes + size <= kMaxCachedBytes)
            {
              s.free_blocks[size].push_back (p);
              s.cached_bytes += size;
              return;
            }
        }
    }
    free (p);
  }
};

} // namespace

void
trim_cpu_cache ()
{
  CachingAllocator::trim ();
}

void
install_cpu_allocator ()
{
#if defined(__SANITIZE_ADDRESS__)
  return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return;
#endif
#endif
  static std::once_flag once;
  std::call_once (once, [] {
#ifdef M_MMAP_THRESHOLD
    // The blocks left to malloc come from its heap, which is not handed
    // back to the system after every free.
    mallopt (M_MMAP_THRESHOLD, 32 << 20);
    mallopt (M_TRIM_THRESHOLD, 128 << 20);
#endif
    static CachingAllocator *alloc = new CachingAllocator;
    c10::SetCPUAllocator (alloc, /* priority */ 1);
  });
}

} // namespace lk
