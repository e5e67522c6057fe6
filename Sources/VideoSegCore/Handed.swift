/// A raw pointer between two owners (waiting in a pool's free list, a result on its way from the
/// thread that made it, or a caller's buffer lent to a call that writes into it under a lock):
/// nobody else uses it meanwhile.
///
/// Raw pointers are not `Sendable`, and a `Locked` value can only take in what the compiler can
/// prove is not shared; this is how a free list of them lives behind one.
package struct Handed<Pointer>: @unchecked Sendable {
    // @unchecked: a raw pointer that no one touches while it is handed over.
    package let pointer: Pointer

    package init(_ pointer: Pointer) {
        self.pointer = pointer
    }
}
