import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport

/// rpm's triggers in a compose: `%triggerin` (with version conditions), `%filetriggerin` and
/// `%transfiletriggerin` (with priorities) run as `rpm -i` of the same packages into a scratch
/// root runs them: the same scripts, arguments, file lists on stdin, and order.
@Suite struct TriggerTests {
    @Test func triggersRunAsRpmRunsThem() throws {
        let packages = try TemporaryDirectory(prefix: "trigger-packages-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(specTexts: TriggerFixtures.specs, into: packages.path)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["trig-late"])
        let result = try testbed.compose()
        #expect(result.packages == ["trig-late-1.0-1.noarch", "trig-owner-1.0-1.noarch", "trig-target-1.0-1.noarch"])
        let composed = try String(contentsOfFile: testbed.checkout(result.commit) + "/usr/lib/trig.log", encoding: .utf8)

        // rpm itself, into the same base: the reference.
        let root = testbed.directory + "/rpm-root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Program.check(["tar", "-xzf", testbed.directory + "/base.tar.gz", "-C", root])
        let files = ["trig-target", "trig-owner", "trig-late"].map { repository.rpmPath("\($0)-1.0-1.noarch") }
        try Program.check(["rpm", "--root", root, "--dbpath", "/usr/share/rpm", "-i", "--nodeps", "--ignorearch"] + files)
        let reference = try String(contentsOfFile: root + "/usr/lib/trig.log", encoding: .utf8)

        #expect(composed == reference)
        #expect(composed == TriggerFixtures.expectedLog, "\(composed)")
    }

    @Test func aFailingTriggerNamesItsPackageAndTarget() throws {
        let packages = try TemporaryDirectory(prefix: "trigger-packages-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        var specs = TriggerFixtures.specs
        specs["trig-owner"] = specs["trig-owner"]!.replacingOccurrences(
            of: "echo \"triggerin trig-owner on trig-target < 2.0: $1 $2\" >> /usr/lib/trig.log",
            with: "echo broken trigger >&2; exit 4")
        let testbed = try ComposeTestbed(packages: try FixtureRepository.build(specTexts: specs, into: packages.path))
        try testbed.writeTreefile(packages: ["trig-late"])
        let error = #expect(throws: (any Error).self) { try testbed.compose() }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("trig-owner-1.0-1.noarch: %triggerin scriptlet (-- trig-target) failed with exit status 4: broken trigger"),
                "\(message)")
        #expect(try testbed.refs().isEmpty)
    }

    /// A Lua scriptlet that raises an error fails the compose as a shell one that exits non-zero.
    @Test func aFailingLuaScriptletNamesItsPackage() throws {
        let packages = try TemporaryDirectory(prefix: "lua-packages-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let spec = """
            Name: lua-fails
            Version: 1.0
            Release: 1
            Summary: a failing Lua scriptlet
            License: MIT
            BuildArch: noarch
            %description
            Its %post raises an error.
            %post -p <lua>
            error("lua says no")
            %files
            """
        let testbed = try ComposeTestbed(packages: try FixtureRepository.build(specTexts: ["lua-fails": spec], into: packages.path))
        try testbed.writeTreefile(packages: ["lua-fails"])
        let error = #expect(throws: (any Error).self) { try testbed.compose() }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("lua-fails-1.0-1.noarch: %post scriptlet failed with exit status 255") && message.contains("lua says no"),
                "\(message)")
        #expect(try testbed.refs().isEmpty)
    }
}
