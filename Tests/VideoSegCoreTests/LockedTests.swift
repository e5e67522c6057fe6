import Foundation
import Testing

@testable import VideoSegCore

/// Core's one lock type, and the pool whose free list lives behind it.
@Suite struct LockedTests {
    @Test func threadsThatAddAtOnceLoseNoUpdate() {
        let counter = Locked(0)
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread {
                for _ in 0..<10_000 { counter.withLock { $0 += 1 } }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(counter.current == 40_000)
    }

    @Test func withLockHandsBackWhatTheBodyReturnsAndRethrows() {
        let names = Locked(["a"])
        let count = names.withLock { names -> Int in
            names.append("b")
            return names.count
        }
        #expect(count == 2 && names.current == ["a", "b"])
        struct Refused: Error {}
        #expect(throws: Refused.self) { try names.withLock { _ in throw Refused() } }
        #expect(names.current == ["a", "b"])
    }

    @Test func aPoolHandsBackTheBufferItWasGiven() {
        let census = ResourceCensus()
        let pool = BufferPool<Float>(count: 8, census: census)
        var buffer: PooledBuffer<Float>? = pool.obtain()
        let address = buffer!.baseAddress
        #expect(buffer!.buffer.count == 8)
        buffer = nil
        // Back in the free list: the next buffer is the same memory, and nothing new was allocated.
        let again = pool.obtain()
        #expect(again.baseAddress == address)
        #expect(census.live[.poolBuffer] == 1)
    }
}
