import Foundation
import OSTree
import Publish
import ToolSupport

/// A test's update server: `python3 -m http.server` on a free port of the host's loopback,
/// serving a directory that `publish` fills with `harness publish`. Guests reach it through a
/// reverse forward (`GuestMachine.reverseForward`) at `RunEnvironment.updateServerURL`.
final class UpdateServer {
    private let server: LoopbackHTTPServer
    var directory: String { server.directory }
    var port: Int { server.port }

    /// Starts the server on `directory` (created).
    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        server = try LoopbackHTTPServer(directory: directory)
    }

    /// Stops the server and removes its directory.
    func stop() {
        server.stop()
        FileTree.removeRecursively(directory)
    }

    /// Publishes `commit` on `ref` into an empty `directory/repo`, with a static delta from
    /// `from` (what the guests run): from a source repository of its own at `scratch`, holding
    /// both commits copied from `stateRepository`, signed with `key` when `sign` (the summary
    /// is always signed). With `tamper`, the served commit object and the delta's files are
    /// then rewritten with a byte changed.
    func publish(_ commit: String, on ref: String, from: String, stateRepository: String, key: PublishingKey,
                 sign: Bool, tamper: Bool, scratch: String) throws -> PublishResult {
        FileTree.removeRecursively(scratch)
        let source = try OSTreeRepository.openOrCreate(at: scratch, mode: .archive)
        try source.pullLocal(from: try OSTreeRepository.open(at: stateRepository), commits: [from, commit])
        try source.setRefImmediately(ref, to: commit)
        if sign {
            for signed in Set([from, commit]) where try source.detachedMetadataBytes(of: signed).isEmpty {
                try source.signCommit(signed, with: key.signer)
            }
        }
        // Each publish starts from an empty directory: a tampered one must not be built upon.
        let served = directory + "/repo"
        FileTree.removeRecursively(served)
        FileTree.removeRecursively(directory + "/.repo.publish")
        var options = PublishOptions(source: scratch, destination: served, refs: [ref])
        options.deltaFrom = commit == from ? [] : [from]
        options.depth = 0
        options.signer = key.signer
        let result = try Publisher(options: options).publish()
        if tamper { try Self.tamper(commit, served: served) }
        return result
    }

    /// Rewrites the commit object and every static delta file of `served` with one byte
    /// flipped in the middle, each as a new file: the objects are hard links (of the source
    /// repository's, even) that must not be written through.
    private static func tamper(_ commit: String, served: String) throws {
        let generation = URL(fileURLWithPath: served).deletingLastPathComponent().path + "/"
            + (try FileManager.default.destinationOfSymbolicLink(atPath: served))
        var files = [generation + "/objects/\(commit.prefix(2))/\(commit.dropFirst(2)).commit"]
        if let walker = FileManager.default.enumerator(atPath: generation + "/deltas") {
            for case let path as String in walker {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: generation + "/deltas/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append(generation + "/deltas/" + path)
                }
            }
        }
        for file in files {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            guard !bytes.isEmpty else { continue }
            bytes[bytes.count / 2] ^= 0x55
            try FileManager.default.removeItem(atPath: file)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        }
    }
}
