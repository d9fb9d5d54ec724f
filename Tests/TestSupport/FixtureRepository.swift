import Foundation
import ToolSupport

/// The fixture RPMs built from `images/fixtures/*.spec` by rpmbuild, served as an rpm-md
/// repository made by createrepo_c.
public struct FixtureRepository: Sendable {
    /// The repository directory: the `.rpm` files and `repodata/`.
    public let directory: String

    /// An rpm-md repository that already exists at `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The repository's `baseurl`.
    public var url: String { "file://" + directory }

    /// The package file for a NEVRA without epoch, e.g. `fixture-app-2.0-1.noarch`.
    public func rpmPath(_ nevra: String) -> String {
        directory + "/" + nevra + ".rpm"
    }

    /// Builds the fixture packages (all of `images/fixtures/*.spec`, or those named in `specs`:
    /// base names without `.spec`) into `directory`, created if missing, and runs createrepo_c
    /// over them.
    public static func build(specs: [String]? = nil, into directory: String) throws -> FixtureRepository {
        let specFiles = try FixturePackageBuild.specFiles(named: specs)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FixturePackageBuild.build(specFiles, into: directory)
        try Program.check(["createrepo_c", "--quiet", directory])
        return FixtureRepository(directory: directory)
    }

    /// Builds packages from spec texts written by a test (name → spec), with rpm's
    /// `_binary_payload` set to `payload`, into `directory`, and runs createrepo_c over them.
    public static func build(specTexts: [String: String], into directory: String,
                             payload: String = "w1.zstdio") throws -> FixtureRepository {
        let specs = try TemporaryDirectory(prefix: "harness-specs-")
        defer { specs.remove() }
        let paths = try specTexts.sorted { $0.key < $1.key }.map { name, text in
            let path = specs.path + "/" + name + ".spec"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FixturePackageBuild.build(paths, into: directory, payload: payload)
        try Program.check(["createrepo_c", "--quiet", directory])
        return FixtureRepository(directory: directory)
    }

    /// All fixtures, built once per test process on first use; callers that arrive while the
    /// build runs wait for it. Treat the repository as read-only: tests share it.
    public static func shared() throws -> FixtureRepository {
        try sharedBuild.get()
    }

    private static let sharedBuild = Result<FixtureRepository, any Error> {
        try build(into: ProcessScratchDirectory.path() + "/repo")
    }

    /// Writes `<directory>/<name>.repo`, a yum/dnf repository definition for this repository
    /// (GPG checks off unless `options` holds other lines, e.g. `gpgcheck=1`), and returns its path.
    public func writeRepoFile(named name: String, in directory: String, options: [String] = ["gpgcheck=0"]) throws -> String {
        let path = directory + "/" + name + ".repo"
        let definition = """
            [\(name)]
            name=\(name)
            baseurl=\(url)
            enabled=1
            \(options.joined(separator: "\n"))

            """
        try definition.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
