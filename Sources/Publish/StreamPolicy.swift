import Foundation
import OSTree
import Yams

/// Which tests each release stream requires before a commit may be promoted to it, and whose
/// key must have signed the certification. A YAML file:
///
///     streams:
///       stable:
///         ref: harness/x86_64/stable
///         require: [upgrade-rollback, layering, upgrade-over-http]
///         key: release.asc        # relative to this file
public struct StreamPolicy: Sendable {
    public struct Stream: Sendable, Equatable {
        public var name: String
        /// The ref the stream's clients follow.
        public var ref: String
        /// Tests the commit must have passed, in the latest run that ran each.
        public var require: [String]
        /// The public key certifications must be signed with.
        public var keyFile: String
    }

    public var path: String
    public var streams: [String: Stream]

    public static let maximumSize = 1 << 20

    public static func load(_ path: String) throws -> StreamPolicy {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int else { throw PublishError("\(path): no such policy file") }
        guard size <= maximumSize else { throw PublishError("\(path): over \(maximumSize) bytes; not a stream policy") }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw PublishError("\(path): not YAML: \(error)")
        }
        guard let top = root as? [String: Any], let table = top["streams"] as? [String: Any] else {
            throw PublishError("\(path): streams: expected a mapping of stream names")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var streams: [String: Stream] = [:]
        for (name, value) in table {
            guard let entry = value as? [String: Any] else { throw PublishError("\(path): streams.\(name): expected a mapping") }
            if let unknown = entry.keys.first(where: { !["ref", "require", "key"].contains($0) }) {
                throw PublishError("\(path): streams.\(name).\(unknown): unknown key (ref, require, key)")
            }
            guard let ref = entry["ref"] as? String, !ref.isEmpty else {
                throw PublishError("\(path): streams.\(name).ref: expected the stream's ref")
            }
            guard let require = entry["require"] as? [String], !require.isEmpty else {
                throw PublishError("\(path): streams.\(name).require: expected a list of test names")
            }
            guard let key = entry["key"] as? String else {
                throw PublishError("\(path): streams.\(name).key: expected the public key file certifications are signed with")
            }
            let keyFile = key.hasPrefix("/") ? key : directory + "/" + key
            guard FileManager.default.fileExists(atPath: keyFile) else {
                throw PublishError("\(path): streams.\(name).key: no such file \(keyFile)")
            }
            streams[name] = Stream(name: name, ref: ref, require: require, keyFile: keyFile)
        }
        return StreamPolicy(path: path, streams: streams)
    }

    public func stream(_ name: String) throws -> Stream {
        guard let stream = streams[name] else {
            throw PublishError("\(path): no stream '\(name)' (streams: \(streams.keys.sorted().joined(separator: ", ")))")
        }
        return stream
    }
}

/// Moves a stream's ref to a commit, only when the commit's certification (signed by the
/// stream's key) shows every required test passed.
public enum Promotion {
    /// Promotes `commit` (a checksum or ref of `repository`) to `stream`; returns the commit.
    /// Nothing moves when a required test is missing: the error names each one and why.
    public static func promote(_ commit: String, to stream: StreamPolicy.Stream, in repository: OSTreeRepository) throws -> String {
        guard let checksum = try repository.resolve(commit) else {
            throw PublishError("\(commit): no such commit or ref in \(repository.path)")
        }
        let record = try Certification.verified(checksum, in: repository, keyFile: stream.keyFile)
        let missing = stream.require.compactMap { test -> String? in
            switch record.latestOutcome(of: test) {
            case true?: nil
            case false?: "\(test) (failed)"
            case nil: "\(test) (not run)"
            }
        }
        guard missing.isEmpty else {
            throw PublishError("\(checksum.prefix(12)) is not certified for stream '\(stream.name)': missing "
                               + missing.joined(separator: ", "), kind: .notCertified)
        }
        try repository.setRefImmediately(stream.ref, to: checksum)
        return checksum
    }
}
