import CLibRPM

/// A digest computed with librpm's own algorithms, numbered as rpm numbers them in headers
/// (1 MD5, 2 SHA-1, 8 SHA-256, 9 SHA-384, 10 SHA-512): how payloads and the files in them
/// are checked against what the header says.
public final class RPMDigest {
    private var context: DIGEST_CTX?

    /// Nil for an algorithm librpm does not know.
    public init?(algorithm: Int32) {
        guard let context = rpmDigestInit(algorithm, rpmDigestFlags(RPMDIGEST_NONE.rawValue)) else { return nil }
        self.context = context
    }

    deinit { if let context { rpmDigestFinal(context, nil, nil, 0) } }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        rpmDigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    /// The digest in lower-case hex; the digest cannot be updated afterwards.
    public func finish() -> String {
        var output: UnsafeMutableRawPointer? = nil
        var length = 0
        rpmDigestFinal(context, &output, &length, 1)
        context = nil
        defer { free(output) }
        return output.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
    }
}
