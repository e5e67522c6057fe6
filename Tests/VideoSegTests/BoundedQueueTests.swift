import Foundation
import Testing

@testable import VideoSeg

/// Runs `body` on a new thread and returns a semaphore signalled when it ends.
private func onThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    Thread {
        body()
        done.signal()
    }.start()
    return done
}

@Suite struct BoundedQueueTests {
    @Test func putBlocksWhileFullUntilATake() {
        let queue = BoundedQueue<Int>(capacity: 2)
        #expect(queue.put(1) && queue.put(2))
        let done = onThread { queue.put(3) }
        // The third put cannot finish while both slots are taken.
        #expect(done.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(queue.take() == 1)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(queue.take() == 2)
        #expect(queue.take() == 3)
    }

    @Test func takeBlocksWhileEmptyUntilAPut() {
        let queue = BoundedQueue<Int>(capacity: 1)
        let received = Locked<Int?>(nil)
        let done = onThread { received.withLock { $0 = queue.take() } }
        #expect(done.wait(timeout: .now() + 0.3) == .timedOut)
        queue.put(42)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(received.current == 42)
    }

    @Test func closeDrainsThenEnds() {
        let queue = BoundedQueue<String>(capacity: 3)
        queue.put("a")
        queue.put("b")
        queue.close()
        #expect(queue.put("c") == false)
        #expect(queue.take() == "a")
        #expect(queue.take() == "b")
        #expect(queue.take() == nil)
    }

    @Test func closeWakesABlockedTaker() {
        let queue = BoundedQueue<Int>(capacity: 1)
        let received = Locked<Int?>(-1)
        let done = onThread { received.withLock { $0 = queue.take() } }
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)
        queue.close()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(received.current == nil)
    }

    @Test func cancelWakesBlockedPutAndTakeAndReturnsTheDropped() {
        let full = BoundedQueue<Int>(capacity: 1)
        full.put(7)
        let putResult = Locked<Bool?>(nil)
        let putDone = onThread { putResult.withLock { $0 = full.put(8) } }
        #expect(putDone.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(full.cancel() == [7])
        #expect(putDone.wait(timeout: .now() + 5) == .success)
        #expect(putResult.current == false)
        #expect(full.take() == nil)
        #expect(full.isCancelled)

        let empty = BoundedQueue<Int>(capacity: 1)
        let takeDone = onThread { _ = empty.take() }
        #expect(takeDone.wait(timeout: .now() + 0.2) == .timedOut)
        empty.cancel()
        #expect(takeDone.wait(timeout: .now() + 5) == .success)
    }

    @Test func manyProducersAndConsumersLoseAndDuplicateNothing() {
        let queue = BoundedQueue<Int>(capacity: 3)
        let producers = 4, perProducer = 2000, consumers = 3
        let received = Locked<[Int]>([])
        var producerDone: [DispatchSemaphore] = []
        for p in 0..<producers {
            producerDone.append(onThread {
                for i in 0..<perProducer { queue.put(p * perProducer + i) }
            })
        }
        var consumerDone: [DispatchSemaphore] = []
        for _ in 0..<consumers {
            consumerDone.append(onThread {
                var mine: [Int] = []
                while let value = queue.take() { mine.append(value) }
                received.withLock { $0 += mine }
            })
        }
        for done in producerDone { done.wait() }
        queue.close()
        for done in consumerDone { done.wait() }
        let all = received.current
        #expect(all.count == producers * perProducer)
        #expect(Set(all).count == producers * perProducer)
        #expect(all.sorted() == Array(0..<(producers * perProducer)))
    }
}
