import Glibc

/// The reading of `clock` in seconds.
package func clockSeconds(_ clock: clockid_t) -> Double {
    var time = timespec()
    clock_gettime(clock, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Seconds on the monotonic clock (the one V4L2 stamps frames with).
package func monotonicSeconds() -> Double { clockSeconds(CLOCK_MONOTONIC) }

/// CPU seconds of the calling thread.
package func threadCPUSeconds() -> Double { clockSeconds(CLOCK_THREAD_CPUTIME_ID) }

/// CPU seconds of the whole process (all threads).
package func processCPUSeconds() -> Double { clockSeconds(CLOCK_PROCESS_CPUTIME_ID) }

/// Seconds since this process started, loading its shared libraries included (libtorch's
/// static set-up is a large part of a short run): the kernel's start time of the process
/// (/proc/self/stat, in clock ticks since boot) against the boot-time clock. Ticks are 10 ms.
public func secondsSinceProcessStart() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
          let afterName = text.lastIndex(of: ")")
    else { return nil }
    // Fields after the command name, which may hold spaces; starttime is field 22 overall.
    let fields = text[text.index(after: afterName)...].split(separator: " ")
    guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
    return clockSeconds(CLOCK_BOOTTIME) - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
}
