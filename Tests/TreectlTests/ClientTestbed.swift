import Compose
import Foundation
import TestSupport
import ToolSupport

/// The update server the client tests pull from: an archive repository composed once per test
/// process from the fixture packages on the busybox base (a text file stands in for the
/// kernel, as in ostree's own tests).
///
/// - `test/os`: version 1 (`fixture-base-files`), then version 1.1 (`fixture-post` added),
///   so that a sysroot deployed at `version1` has an upgrade waiting.
/// - `test/full`: `fixture-base-files` and `fixture-app` 1.0 with `fixture-lib`, for overrides
///   and file conflicts.
struct UpdateServer: Sendable {
    let repository: String
    let packages: FixtureRepository
    let version1: String
    let version2: String
    let full: String

    static func shared() throws -> UpdateServer { try sharedServer.get() }

    private static let sharedServer = Result<UpdateServer, any Error> {
        Console.showsProgress = false
        let directory = try ProcessScratchDirectory.path() + "/update-server"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let packages = try FixtureRepository.shared()
        _ = try packages.writeRepoFile(named: "fixtures", in: directory)
        try FileManager.default.copyItem(atPath: try FixtureBase.shared(), toPath: directory + "/base.tar.gz")
        try "fixture kernel\n".write(toFile: directory + "/vmlinuz", atomically: true, encoding: .utf8)
        let options = ComposeOptions(repository: directory + "/repo", cacheDirectory: directory + "/cache")
        func compose(ref: String, packages: [String]) throws -> String {
            let treefile = directory + "/\(ref.replacingOccurrences(of: "/", with: "-")).yaml"
            try """
                ref: \(ref)
                base: base.tar.gz
                repos: [fixtures]
                packages: [\(packages.joined(separator: ", "))]
                automatic-version-prefix: "1"
                add-files:
                  - [vmlinuz, /usr/lib/modules/6.1.0-fixture/vmlinuz]
                """.write(toFile: treefile, atomically: true, encoding: .utf8)
            return try Composer(options: options).compose(treefilePath: treefile).commit
        }
        let version1 = try compose(ref: "test/os", packages: ["fixture-base-files"])
        let version2 = try compose(ref: "test/os", packages: ["fixture-base-files", "fixture-post"])
        let full = try compose(ref: "test/full", packages: ["fixture-base-files", "fixture-app-1.0"])
        return UpdateServer(repository: directory + "/repo", packages: packages,
                            version1: version1, version2: version2, full: full)
    }
}

/// A directory sysroot of one test, made with ostree's own admin commands: stateroot
/// `testos`, remote `harness` pointing at the update server, one deployment, and the fixture
/// repository configured in its `/etc/yum.repos.d`.
final class ClientSysroot {
    let scratch: TemporaryDirectory
    let server: UpdateServer
    var path: String { scratch.path + "/sysroot" }
    var repository: String { path + "/ostree/repo" }

    /// A sysroot deployed from `ref` at `commit` (the branch's head when nil).
    init(ref: String = "test/os", commit: String? = nil) throws {
        server = try UpdateServer.shared()
        scratch = try TemporaryDirectory(prefix: "treectl-test-", in: ProcessScratchDirectory.path())
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Program.check(["ostree", "admin", "init-fs", path])
        try Program.check(["ostree", "admin", "os-init", "--sysroot=" + path, "testos"])
        try Program.check(["ostree", "--repo=" + repository, "remote", "add", "--no-gpg-verify", "harness",
                           "file://" + server.repository])
        try Program.check(["ostree", "--repo=" + repository, "pull", "harness", ref + (commit.map { "@" + $0 } ?? "")])
        try Program.check(["ostree", "admin", "deploy", "--sysroot=" + path, "--os=testos",
                           "--karg=root=LABEL=root", "--karg=console=ttyS0", "harness:" + ref])
        let repos = try deploymentDirectory(0) + "/etc/yum.repos.d"
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        _ = try server.packages.writeRepoFile(named: "fixtures", in: repos)
    }

    deinit { scratch.remove() }

    /// Runs treectl with `arguments` and `--sysroot` on this sysroot.
    @discardableResult
    func treectl(_ arguments: String...) throws -> ProgramResult {
        try Program.run([BuiltExecutable.path("treectl")] + arguments + ["--sysroot", path])
    }

    /// Runs treectl and requires it to succeed.
    @discardableResult
    func succeed(_ arguments: String...) throws -> ProgramResult {
        let result = try Program.run([BuiltExecutable.path("treectl")] + arguments + ["--sysroot", path])
        guard result.succeeded else {
            throw ClientTestFailure("treectl \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result
    }

    /// `status --json`'s deployments.
    func deployments() throws -> [[String: Any]] {
        let output = try succeed("status", "--json").stdout
        let document = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return document?["deployments"] as? [[String: Any]] ?? []
    }

    /// The deployments' ids (`testos-CHECKSUM.SERIAL`), in boot order.
    func deploymentIDs() throws -> [String] {
        try deployments().compactMap { $0["id"] as? String }
    }

    /// The checked-out directory of the deployment at `index` in boot order.
    func deploymentDirectory(_ index: Int) throws -> String {
        let status = try Program.check(["ostree", "admin", "status", "--sysroot=" + path]).stdout
        let entries = status.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let words = line.split(separator: " ").filter { $0 != "*" }
            guard words.count >= 2, words[0] == "testos" else { return nil }
            return String(words[1])
        }
        guard entries.indices.contains(index) else { throw ClientTestFailure("no deployment \(index) in \(path)") }
        return path + "/ostree/deploy/testos/deploy/" + entries[index]
    }

    /// `db list` of a revision, as NEVRAs.
    func packages(_ revision: String = "0") throws -> [String] {
        try succeed("db", "list", revision).stdout.split(whereSeparator: \.isNewline).map(String.init)
    }

    /// The text of a file in a deployment.
    func file(_ relative: String, inDeployment index: Int = 0) throws -> String? {
        try? String(contentsOfFile: deploymentDirectory(index) + relative, encoding: .utf8)
    }

    /// The options line of every boot entry.
    func bootEntryOptions() throws -> [String] {
        let entries = path + "/boot/loader/entries"
        return try FileManager.default.contentsOfDirectory(atPath: entries).sorted().compactMap { name in
            let text = try String(contentsOfFile: entries + "/" + name, encoding: .utf8)
            return text.split(whereSeparator: \.isNewline).first { $0.hasPrefix("options ") }.map(String.init)
        }
    }
}

/// A step of a client test's set-up that failed.
struct ClientTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
