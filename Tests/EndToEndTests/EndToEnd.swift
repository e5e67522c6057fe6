import Testing

/// Every end-to-end suite nests here, so they run one at a time: each one starts the binary,
/// and on two cores parallel runs would only fight for them.
@Suite(.serialized)
enum EndToEnd {}
