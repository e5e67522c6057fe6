/// A stable 64-bit FNV-1a hash, as hex: the same settings give the same text on every machine
/// and every run (Swift's own hashing is seeded per process).
package func stableHash(_ text: String) -> String {
    stableHash(bytes: text.utf8)
}

/// `stableHash` of any bytes (a model file's, for instance).
package func stableHash<Bytes: Sequence<UInt8>>(bytes: Bytes) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}
