import VideoSegPipeline

/// The phases of one video of a batch, as a report line's `phases` names them: the run's own
/// (`RunPhase`: check, open, model, outputs, frames, flush, finish) and the batch's steps
/// around it. A video's overhead is its wall time in the batch less its `frames`: the sum of
/// every other phase.
public enum BatchPhase: String, CaseIterable, Sendable {
    /// Taking the video's lock and letting it go, and reading its done-record (before and
    /// after the lock: another run may have finished it meanwhile).
    case lock
    /// After the run's own phases: the input closed, the model returned to the cache, the
    /// run's result gathered; with masks, their folder renamed into place.
    case close
    /// The done-record written.
    case record
    /// The report rewritten with this video's line (known once written: the report's last
    /// rewrite carries it).
    case report
    /// The rest of the video's wall time, between the timed phases.
    case other
}
