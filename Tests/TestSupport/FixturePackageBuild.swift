import Foundation
import ToolSupport

/// Turns the fixture spec files in `images/fixtures` into binary RPMs with rpmbuild.
enum FixturePackageBuild {
    /// The spec files to build: all of `images/fixtures/*.spec`, or those named in `specs`
    /// (base names without `.spec`).
    static func specFiles(named specs: [String]?) throws -> [String] {
        let directory = TestPaths.fixtureSpecsDirectory
        guard let specs else {
            let all = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".spec") }
                .sorted()
                .map { directory + "/" + $0 }
            guard !all.isEmpty else { throw FixtureError.noSpecFiles(directory: directory) }
            return all
        }
        return try specs.map { name in
            let path = directory + "/" + name + ".spec"
            guard FileManager.default.fileExists(atPath: path) else { throw FixtureError.missingSpecFile(path) }
            return path
        }
    }

    /// Builds `specFiles` in one rpmbuild run and writes the packages, named
    /// `NAME-VERSION-RELEASE.ARCH.rpm`, straight into `outputDirectory`.
    ///
    /// Everything rpmbuild would put in `$HOME` (its database, `~/.rpmmacros`) or `/var/tmp`
    /// goes to a scratch directory instead; payloads are zstd at level 1 unless `payload` (rpm's
    /// `_binary_payload`, `w.ufdio` for an uncompressed one) says otherwise.
    static func build(_ specFiles: [String], into outputDirectory: String, payload: String = "w1.zstdio") throws {
        let scratch = try TemporaryDirectory(prefix: "rpmbuild-")
        defer { scratch.remove() }
        let top = scratch.path
        try FileManager.default.createDirectory(atPath: top + "/tmp", withIntermediateDirectories: true)
        let definitions = [
            "_topdir \(top)",
            "_tmppath \(top)/tmp",
            "_dbpath \(top)/rpmdb",
            "_rpmdir \(outputDirectory)",
            // `%%` leaves the tags for rpmbuild to fill in per package, as its own _build_name_fmt does.
            "_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
            "_binary_payload \(payload)",
            "_build_id_links none",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = top
        try Program.check(["rpmbuild", "-bb", "--nodeps", "--quiet"]
                          + definitions.flatMap { ["--define", $0] }
                          + specFiles,
                          environment: environment)
    }
}
