import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegPipeline

/// The blocking parts run on Foundation threads. The proofs are orderings recorded in an
/// `EventLog` (what happened before what); the short bounded waits only give a wrong
/// implementation the time to show itself, and keep a hang from stalling the suite.
@Suite struct BoundedQueueTests {
    @Test func itemsComeOutInOrderAcrossTheRingsWrapAround() {
        let queue = BoundedQueue<Int>(capacity: 3)
        #expect(queue.capacity == 3)
        var received: [Int] = []
        // Keep two queued while cycling, so head and tail wrap around the three slots many times.
        #expect(queue.put(0))
        #expect(queue.put(1))
        for next in 2..<12 {
            #expect(queue.put(next))
            #expect(queue.queuedCount == 3)
            received.append(queue.take()!)
        }
        received.append(queue.take()!)
        received.append(queue.take()!)
        #expect(received == Array(0..<12))
        #expect(queue.queuedCount == 0)
    }

    @Test func putBlocksWhileFullUntilATakeFreesASlot() {
        let queue = BoundedQueue<Int>(capacity: 2)
        #expect(queue.put(1))
        #expect(queue.put(2))
        let log = EventLog()
        let started = DispatchSemaphore(value: 0)
        let done = spawnThread {
            started.signal()
            let accepted = queue.put(3)
            log.append("put returned \(accepted)")
        }
        started.wait()
        // The producer is running; it must still be inside put while both slots are taken.
        #expect(!signalled(done, within: 0.2))
        #expect(log.events.isEmpty)
        #expect(queue.queuedCount == 2)
        log.append("taking")
        #expect(queue.take() == 1)
        #expect(signalled(done, within: 10))
        // The put returned only after the take began.
        #expect(log.events == ["taking", "put returned true"])
        #expect(queue.take() == 2)
        #expect(queue.take() == 3)
    }

    @Test func aProducerNeverGetsMoreThanCapacityAheadOfTheConsumer() {
        let capacity = 2, total = 6
        let queue = BoundedQueue<Int>(capacity: capacity)
        let log = EventLog()
        let firstPutDone = DispatchSemaphore(value: 0)
        let done = spawnThread {
            for i in 0..<total {
                queue.put(i)
                log.append("put")
                if i == 0 { firstPutDone.signal() }
            }
        }
        firstPutDone.wait()
        // Give a queue that does not block the time to let the producer run away.
        _ = signalled(done, within: 0.1)
        for i in 0..<total {
            log.append("take")
            #expect(queue.take() == i)
        }
        #expect(signalled(done, within: 10))
        // At every point, completed puts minus started takes is at most the capacity.
        var ahead = 0, most = 0
        for event in log.events {
            ahead += event == "put" ? 1 : -1
            most = max(most, ahead)
        }
        #expect(most <= capacity)
        #expect(most >= 1)
        #expect(log.events.count == 2 * total)
    }

    @Test func takeBlocksWhileEmptyUntilAPut() {
        let queue = BoundedQueue<Int>(capacity: 1)
        let log = EventLog()
        let started = DispatchSemaphore(value: 0)
        let done = spawnThread {
            started.signal()
            let value = queue.take()
            log.append("took \(value.map(String.init) ?? "nil")")
        }
        started.wait()
        #expect(!signalled(done, within: 0.2))
        #expect(log.events.isEmpty)
        log.append("putting")
        #expect(queue.put(42))
        #expect(signalled(done, within: 10))
        #expect(log.events == ["putting", "took 42"])
        #expect(queue.queuedCount == 0)
    }

    @Test func closeLetsTakersDrainThenReturnsNilAndRefusesPuts() {
        let queue = BoundedQueue<String>(capacity: 3)
        #expect(queue.put("a"))
        #expect(queue.put("b"))
        queue.close()
        #expect(queue.put("c") == false)
        #expect(queue.queuedCount == 2)
        #expect(queue.take() == "a")
        #expect(queue.take() == "b")
        #expect(queue.take() == nil)
        #expect(queue.take() == nil)
        #expect(queue.isCancelled == false)
    }

    @Test func closeWakesEveryBlockedTakerWithNil() {
        let queue = BoundedQueue<Int>(capacity: 1)
        let results = Locked<[Int?]>([])
        let started = DispatchSemaphore(value: 0)
        let takers = (0..<3).map { _ in
            spawnThread {
                started.signal()
                let value = queue.take()
                results.withLock { $0.append(value) }
            }
        }
        for _ in takers { started.wait() }
        #expect(!signalled(takers[0], within: 0.1))
        queue.close()
        for taker in takers { #expect(signalled(taker, within: 10)) }
        #expect(results.current == [nil, nil, nil])
    }

    @Test func closeReleasesABlockedPutWithoutAddingItsItem() {
        let queue = BoundedQueue<Int>(capacity: 1)
        #expect(queue.put(1))
        let accepted = Locked<Bool?>(nil)
        let started = DispatchSemaphore(value: 0)
        let done = spawnThread {
            started.signal()
            let result = queue.put(2)
            accepted.withLock { $0 = result }
        }
        started.wait()
        #expect(!signalled(done, within: 0.1))
        queue.close()
        #expect(signalled(done, within: 10))
        #expect(accepted.current == false)
        #expect(queue.take() == 1)
        #expect(queue.take() == nil)
    }

    @Test func cancelReturnsTheQueuedItemsOldestFirstAndEndsTheQueue() {
        let queue = BoundedQueue<Int>(capacity: 3)
        #expect(queue.put(1))
        #expect(queue.put(2))
        #expect(queue.put(3))
        #expect(queue.take() == 1)
        #expect(queue.put(4))  // wraps around to the first slot
        #expect(queue.cancel() == [2, 3, 4])
        #expect(queue.isCancelled)
        #expect(queue.queuedCount == 0)
        #expect(queue.take() == nil)
        #expect(queue.put(5) == false)
        #expect(queue.cancel() == [])
    }

    @Test func cancelAfterCloseStillHandsBackTheUndrainedItems() {
        let queue = BoundedQueue<String>(capacity: 2)
        #expect(queue.put("x"))
        #expect(queue.put("y"))
        queue.close()
        #expect(queue.take() == "x")
        #expect(queue.cancel() == ["y"])
        #expect(queue.take() == nil)
    }

    @Test func cancelWakesABlockedPut() {
        let queue = BoundedQueue<Int>(capacity: 1)
        #expect(queue.put(7))
        let log = EventLog()
        let started = DispatchSemaphore(value: 0)
        let done = spawnThread {
            started.signal()
            let accepted = queue.put(8)
            log.append("put returned \(accepted)")
        }
        started.wait()
        #expect(!signalled(done, within: 0.1))
        log.append("cancelling")
        #expect(queue.cancel() == [7])
        #expect(signalled(done, within: 10))
        #expect(log.events == ["cancelling", "put returned false"])
        #expect(queue.take() == nil)
    }

    @Test func cancelWakesABlockedTake() {
        let queue = BoundedQueue<Int>(capacity: 1)
        let log = EventLog()
        let started = DispatchSemaphore(value: 0)
        let done = spawnThread {
            started.signal()
            let value = queue.take()
            log.append("took \(value.map(String.init) ?? "nil")")
        }
        started.wait()
        #expect(!signalled(done, within: 0.1))
        log.append("cancelling")
        #expect(queue.cancel() == [])
        #expect(signalled(done, within: 10))
        #expect(log.events == ["cancelling", "took nil"])
    }

    @Test func manyProducersAndConsumersLoseAndDuplicateNothing() {
        let producers = 4, perProducer = 2000, consumers = 3
        let queue = BoundedQueue<Int>(capacity: 3)
        let received = Locked<[[Int]]>([])
        let producerDone = (0..<producers).map { p in
            spawnThread {
                for i in 0..<perProducer { queue.put(p * perProducer + i) }
            }
        }
        let consumerDone = (0..<consumers).map { _ in
            spawnThread {
                var mine: [Int] = []
                while let value = queue.take() { mine.append(value) }
                received.withLock { $0.append(mine) }
            }
        }
        for done in producerDone { #expect(signalled(done, within: 30)) }
        queue.close()
        for done in consumerDone { #expect(signalled(done, within: 30)) }

        let perConsumer = received.current
        #expect(perConsumer.count == consumers)
        let all = perConsumer.flatMap { $0 }
        #expect(all.count == producers * perProducer)
        let times = Dictionary(all.map { ($0, 1) }, uniquingKeysWith: +)
        let duplicated = times.filter { $0.value > 1 }.keys.sorted()
        let missing = (0..<(producers * perProducer)).filter { times[$0] == nil }
        #expect(duplicated.isEmpty, "received twice or more: \(duplicated.prefix(10))")
        #expect(missing.isEmpty, "\(missing.count) never received, first \(missing.prefix(10))")
        #expect(times.count == producers * perProducer)
        // FIFO: each consumer sees any one producer's items in the order they were put.
        for mine in perConsumer {
            for p in 0..<producers {
                let fromP = mine.filter { $0 / perProducer == p }
                #expect(fromP == fromP.sorted())
            }
        }
        #expect(queue.queuedCount == 0)
    }
}
