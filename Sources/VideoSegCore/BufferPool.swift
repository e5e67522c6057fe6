/// A free list of equally sized buffers, so frames reuse tensors and class maps instead of
/// allocating them per frame. The pipeline's bounded queues bound how many exist at once. The
/// buffers are freed when the pool goes, which is only after every buffer it handed out has come
/// back: each `PooledBuffer` keeps its pool alive.
package final class BufferPool<Element>: Sendable {
    /// Elements in each buffer.
    package let count: Int
    private let free = Locked<[Handed<UnsafeMutableBufferPointer<Element>>]>([])
    private let census: ResourceCensus?

    package init(count: Int, census: ResourceCensus?) {
        self.count = count
        self.census = census
    }

    deinit {
        free.withLock { list in
            for buffer in list {
                buffer.pointer.deallocate()
                census?.released(.poolBuffer)
            }
        }
    }

    /// A buffer of `count` elements (contents undefined), back in the pool when it goes away.
    package func obtain() -> PooledBuffer<Element> {
        let buffer = free.withLock { $0.popLast()?.pointer } ?? {
            census?.acquired(.poolBuffer)
            return UnsafeMutableBufferPointer<Element>.allocate(capacity: count)
        }()
        return PooledBuffer(buffer: buffer, pool: self)
    }

    fileprivate func recycle(_ buffer: UnsafeMutableBufferPointer<Element>) {
        free.withLock { $0.append(Handed(buffer)) }
    }
}

/// A buffer lent by a `BufferPool`, returned to it when the value goes away.
///
/// Crosses stage threads by single-owner hand-off; once filled, a buffer is only read (a class
/// map may be read by the render and mask stages at once).
package final class PooledBuffer<Element>: @unchecked Sendable {
    // @unchecked: a raw buffer pointer, written by one stage and only read after the hand-off.
    package let buffer: UnsafeMutableBufferPointer<Element>
    private let pool: BufferPool<Element>

    fileprivate init(buffer: UnsafeMutableBufferPointer<Element>, pool: BufferPool<Element>) {
        self.buffer = buffer
        self.pool = pool
    }

    deinit {
        pool.recycle(buffer)
    }

    /// The first element.
    package var baseAddress: UnsafeMutablePointer<Element> { buffer.baseAddress! }
}
