import Foundation
import OSTree
import TestSupport
import ToolSupport

/// A source repository whose ref `os/x` has commits made with `ostree commit` (a 3 MB file
/// that never changes and small ones that do, as an OS update looks), signed by `key`, and a
/// directory to publish into.
final class PublishTestbed {
    let scratch: TemporaryDirectory
    let key: TestSigningKey
    var source: String { scratch.path + "/src" }
    var tree: String { scratch.path + "/tree" }
    var served: String { scratch.path + "/www/repo" }
    var commits: [String] = []
    static let ref = "os/x"

    init(commits count: Int = 2) throws {
        scratch = try TemporaryDirectory(prefix: "harness-publish-test-")
        key = try TestSigningKey(name: "publish")
        try Program.check(["ostree", "init", "--repo=" + source, "--mode=archive"])
        try FileManager.default.createDirectory(atPath: tree + "/usr/bin", withIntermediateDirectories: true)
        try Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: tree + "/usr/bin/large"))
        for _ in 0..<count { try commit() }
    }

    /// A new signed commit on `os/x` with one small file changed and one added.
    @discardableResult
    func commit() throws -> String {
        let version = commits.count + 1
        try "version \(version)\n".write(toFile: tree + "/usr/bin/version", atomically: true, encoding: .utf8)
        try "added in \(version)\n".write(toFile: tree + "/usr/bin/file-\(version)", atomically: true, encoding: .utf8)
        let checksum = try Program.check(["ostree", "--repo=" + source, "commit", "-b", Self.ref, "-s", "v\(version)", tree])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try key.sign(commit: checksum, in: source)
        commits.append(checksum)
        return checksum
    }

    var signer: GPGSigner { GPGSigner(keyID: key.email, homedir: key.homedir) }

    /// A fresh client repository whose remote `r` verifies commits and the summary with
    /// `keyFile` (the publishing key by default).
    func client(url: String, keyFile: String? = nil) throws -> String {
        let path = scratch.path + "/client-\(UUID().uuidString.prefix(8))"
        try Program.check(["ostree", "init", "--repo=" + path, "--mode=bare-user"])
        try Program.check(["ostree", "--repo=" + path, "remote", "add", "--set=gpg-verify=true", "--set=gpg-verify-summary=true",
                           "--gpg-import=" + (keyFile ?? key.publicKeyPath), "r", url])
        return path
    }

    /// What `ostree pull` printed, and whether it succeeded.
    func pull(_ client: String, _ arguments: [String]) throws -> ProgramResult {
        try Program.run(["ostree", "--repo=" + client, "pull"] + arguments)
    }

    func servedGeneration() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: served)
    }
}
