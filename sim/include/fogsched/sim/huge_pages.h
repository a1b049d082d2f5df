#pragma once
// An allocator for the simulator's big arrays (nodes, invocations, arrival streams,
// the event calendar's chunks) that asks the kernel to back them with 2 MiB pages.
// With 10^5 cameras those arrays span tens of megabytes read almost at random:
// in 4 KiB pages nearly every access also misses the TLB, and the page walks cost
// as much as the cache misses. Smaller arrays take the ordinary allocator.
//
// The request is madvise(MADV_HUGEPAGE), a hint: on a kernel with transparent huge
// pages off it changes nothing, and results never depend on it. Nor does it extend
// the TLB's reach in a virtual machine whose host maps guest memory in small pages
// (`bench_memory`'s BM_LinePerPage shows which kind of machine this is).
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace fogsched::sim {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

template <class T>
class HugePageAllocator {
 public:
  using value_type = T;

  HugePageAllocator() = default;
  template <class U>
  explicit HugePageAllocator(const HugePageAllocator<U>& /*other*/) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) return std::allocator<T>{}.allocate(n);
    const std::size_t rounded = (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
    void* memory = std::aligned_alloc(kHugePageBytes, rounded);
    if (memory == nullptr) throw std::bad_alloc();
    ::madvise(memory, rounded, MADV_HUGEPAGE);
    return static_cast<T*>(memory);
  }

  void deallocate(T* memory, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugePageBytes) {
      std::allocator<T>{}.deallocate(memory, n);
    } else {
      std::free(memory);
    }
  }

  friend bool operator==(const HugePageAllocator& /*x*/, const HugePageAllocator& /*y*/) noexcept { return true; }
};

// A vector of big records, backed by huge pages once it outgrows one.
template <class T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

// A fixed number of big records, made once and never moved: for records that hold
// objects built in place, which cannot be moved.
template <class T>
class HugePageArray {
 public:
  HugePageArray() = default;
  explicit HugePageArray(std::size_t size) : data_(HugePageAllocator<T>{}.allocate(size)), size_(size) {
    std::uninitialized_value_construct_n(data_, size_);
  }
  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;
  ~HugePageArray() {
    if (data_ == nullptr) return;
    std::destroy_n(data_, size_);
    HugePageAllocator<T>{}.deallocate(data_, size_);
  }

  std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace fogsched::sim
