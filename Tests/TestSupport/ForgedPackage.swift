import Crypto
import Foundation

/// RPMs changed after rpmbuild made them, the way an attacker without the signing key would:
/// the payload altered, then every digest that covers it computed again, so that nothing but
/// the header's own description of the files disagrees.
public enum ForgedPackage {
    /// Rewrites the package at `path` (built with an uncompressed payload, `w.ufdio`) so that
    /// the payload entry `entry` (`./usr/share/x`) holds only its first `keep` bytes, the cpio
    /// entry saying so. The payload keeps its length (zeros after the trailer), the header's
    /// payload digests and the signature header's header and header+payload digests are
    /// recomputed: a package whose digests are all consistent but whose header claims the
    /// file's full size and digest.
    public static func truncate(_ path: String, entry: String, keep: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let signature = try HeaderBlob(bytes, at: 96)
        let mainStart = signature.end + (8 - signature.end % 8) % 8
        let main = try HeaderBlob(bytes, at: mainStart)
        let payloadStart = main.end
        let payload = Array(bytes[payloadStart...])
        var forged = try truncatedCpio(payload, entry: entry, keep: keep)
        forged += [UInt8](repeating: 0, count: payload.count - forged.count)
        bytes.replaceSubrange(payloadStart..., with: forged)

        let payloadDigest = hex(SHA256.hash(data: forged))
        for tag in [5092, 5097] { try main.replaceString(tag: tag, with: payloadDigest, in: &bytes) }
        let mainBytes = Array(bytes[mainStart..<payloadStart])
        try signature.replaceString(tag: 273, with: hex(SHA256.hash(data: mainBytes)), in: &bytes, optional: true)
        try signature.replaceString(tag: 269, with: hex(Insecure.SHA1.hash(data: mainBytes)), in: &bytes, optional: true)
        try signature.replaceBinary(tag: 1004, with: Array(Insecure.MD5.hash(data: mainBytes + forged)), in: &bytes, optional: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The newc cpio archive with `entry`'s data cut to `keep` bytes (and its size field too).
    private static func truncatedCpio(_ archive: [UInt8], entry: String, keep: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        var offset = 0
        while offset + 110 <= archive.count {
            guard archive[offset..<offset + 6] == ArraySlice("070701".utf8) else { throw FixtureError.forging("not a newc cpio payload") }
            func field(_ index: Int) -> Int {
                Int(String(decoding: archive[offset + 6 + index * 8..<offset + 14 + index * 8], as: UTF8.self), radix: 16) ?? 0
            }
            let size = field(6), nameSize = field(11)
            let nameStart = offset + 110
            let name = String(decoding: archive[nameStart..<nameStart + nameSize - 1], as: UTF8.self)
            let dataStart = nameStart + nameSize + (4 - (110 + nameSize) % 4) % 4
            let dataEnd = dataStart + size
            var header = Array(archive[offset..<dataStart])
            var data = Array(archive[dataStart..<dataEnd])
            if name == entry {
                data = Array(data.prefix(keep))
                header.replaceSubrange(54..<62, with: Array(String(format: "%08X", data.count).utf8))
            }
            output += header + data + [UInt8](repeating: 0, count: (4 - data.count % 4) % 4)
            offset = dataEnd + (4 - size % 4) % 4
            if name == "TRAILER!!!" { return output }
        }
        throw FixtureError.forging("no cpio trailer")
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// An rpm header (magic, index, data) inside a package file, for patching values in place.
private struct HeaderBlob {
    let start: Int
    let end: Int
    let index: [Int: (type: Int, offset: Int, count: Int)]
    let dataStart: Int

    init(_ bytes: [UInt8], at start: Int) throws {
        guard bytes.count > start + 16, bytes[start..<start + 3] == [0x8E, 0xAD, 0xE8] else {
            throw FixtureError.forging("no rpm header at \(start)")
        }
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        let entries = word(start + 8), dataLength = word(start + 12)
        dataStart = start + 16 + entries * 16
        var index: [Int: (Int, Int, Int)] = [:]
        for entry in 0..<entries {
            let at = start + 16 + entry * 16
            index[word(at)] = (word(at + 4), word(at + 8), word(at + 12))
        }
        self.start = start
        self.index = index
        end = dataStart + dataLength
    }

    /// Overwrites the first string of a string or string-array tag with one of equal length.
    func replaceString(tag: Int, with value: String, in bytes: inout [UInt8], optional: Bool = false) throws {
        guard let entry = index[tag] else {
            if optional { return }
            throw FixtureError.forging("header has no tag \(tag)")
        }
        let at = dataStart + entry.offset
        guard let length = bytes[at...].firstIndex(of: 0).map({ $0 - at }), length == value.utf8.count else {
            throw FixtureError.forging("tag \(tag) holds a value of another length")
        }
        bytes.replaceSubrange(at..<at + length, with: Array(value.utf8))
    }

    /// Overwrites a binary tag with as many bytes.
    func replaceBinary(tag: Int, with value: [UInt8], in bytes: inout [UInt8], optional: Bool = false) throws {
        guard let entry = index[tag] else {
            if optional { return }
            throw FixtureError.forging("header has no tag \(tag)")
        }
        guard entry.count == value.count else { throw FixtureError.forging("tag \(tag) holds \(entry.count) bytes") }
        bytes.replaceSubrange(dataStart + entry.offset..<dataStart + entry.offset + value.count, with: value)
    }
}
