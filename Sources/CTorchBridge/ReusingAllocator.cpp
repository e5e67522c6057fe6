#include "ReusingAllocator.hpp"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace reusing_allocator {
namespace {

/// libtorch's CPU allocator, keeping freed blocks by size for the next request of that size.
///
/// A forward pass allocates its intermediate tensors afresh and frees them again, the same sizes
/// every frame. Through malloc that costs more than the allocation itself here: VideoSeg has
/// glibc hand out zeroed blocks and fill freed ones (M_PERTURB, so libx264's output does not
/// depend on the heap; see vs_zero_new_allocations), and for LRASPP-MobileNetV3 at 256x256 those
/// memsets took 9 ms of a 55 ms frame on the inference thread. A reused block is handed out as it
/// was left: libtorch's empty tensors are uninitialised anyway, and x264 never sees these blocks.
class ReusingCPUAllocator final : public c10::Allocator {
   public:
    // No `override` here: libtorch 2.3 made Allocator::allocate non-const and added copy_data
    // (pure virtual), 1.13 has neither; each version's virtuals find their match among these.
    c10::DataPtr allocate(size_t bytes) const {
        void *data = obtain(bytes);
        return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
    }
    c10::DataPtr allocate(size_t bytes) { return static_cast<const ReusingCPUAllocator *>(this)->allocate(bytes); }
    void copy_data(void *destination, const void *source, size_t count) const { std::memcpy(destination, source, count); }

    // raw_allocate (mkldnn's scratch memory) needs a deleter that takes the data pointer alone.
    c10::DeleterFnPtr raw_deleter() const { return &release; }

    /// c10's own alignment for CPU tensors (gAlignment), and room for the block's size before it.
    static constexpr size_t alignment = 64;
    /// Freed bytes kept at most; blocks beyond go back to malloc. More than a forward pass of the
    /// models in use keeps live at once, so the steady state allocates nothing.
    static constexpr size_t keptLimit = size_t(512) << 20;

    struct Shelf {
        std::mutex lock;
        std::unordered_map<size_t, std::vector<char *>> blocks;
        size_t kept = 0;
    };

    /// Never destroyed: tensors may be freed by other static destructors at exit.
    static Shelf &shelf() {
        static Shelf *instance = new Shelf;
        return *instance;
    }

   private:
    static void *obtain(size_t bytes) {
        if (bytes == 0) return nullptr;
        Shelf &shelf = ReusingCPUAllocator::shelf();
        {
            std::lock_guard<std::mutex> guard(shelf.lock);
            auto found = shelf.blocks.find(bytes);
            if (found != shelf.blocks.end() && !found->second.empty()) {
                char *block = found->second.back();
                found->second.pop_back();
                shelf.kept -= bytes;
                return block + alignment;
            }
        }
        void *block = nullptr;
        if (posix_memalign(&block, alignment, bytes + alignment) != 0 || !block) throw std::bad_alloc();
        *static_cast<size_t *>(block) = bytes;
        return static_cast<char *>(block) + alignment;
    }

    static void release(void *data) {
        if (!data) return;
        char *block = static_cast<char *>(data) - alignment;
        const size_t bytes = *reinterpret_cast<size_t *>(block);
        Shelf &shelf = ReusingCPUAllocator::shelf();
        {
            std::lock_guard<std::mutex> guard(shelf.lock);
            if (shelf.kept + bytes <= keptLimit) {
                shelf.blocks[bytes].push_back(block);
                shelf.kept += bytes;
                return;
            }
        }
        std::free(block);
    }
};

}  // namespace

void install() {
    static std::once_flag once;
    std::call_once(once, [] {
        static ReusingCPUAllocator allocator;
        // Above the default allocator's registration (priority 0), so it stays in place.
        c10::SetCPUAllocator(&allocator, 1);
    });
}

}  // namespace reusing_allocator
