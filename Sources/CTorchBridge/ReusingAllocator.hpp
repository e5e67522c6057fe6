#pragma once

namespace reusing_allocator {

/// Makes libtorch's CPU allocations come from `ReusingCPUAllocator` from now on (once; later
/// calls do nothing).
void install();

}  // namespace reusing_allocator
