import Foundation
import TestSupport
import Testing
import ToolSupport

/// Every refused change: a non-zero exit, one line on stderr naming what is at fault, and the
/// deployment list exactly as it was.
@Suite struct ClientErrorTests {
    /// A command that must fail, on a sysroot deployed from `ref`.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var ref = "test/full"
        var arguments: [String]
        /// Words the error line must contain.
        var mentions: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "file conflict with the base", arguments: ["install", "fixture-conflicting"],
             mentions: ["file conflict", "fixture-conflicting"]),
        Case(name: "package already in the base", arguments: ["install", "fixture-base-files"],
             mentions: ["fixture-base-files", "already in the base"]),
        Case(name: "package not found", arguments: ["install", "no-such-package"], mentions: ["no-such-package"]),
        Case(name: "missing dependency", arguments: ["install", "fixture-unresolvable"],
             mentions: ["fixture-nobody-provides-this", "fixture-unresolvable"]),
        Case(name: "failing %post", arguments: ["install", "fixture-broken-post"], mentions: ["fixture-broken-post", "%post"]),
        Case(name: "replacing a package not in the base", arguments: ["override", "replace", "@fixture-post-1.0-1.noarch"],
             mentions: ["fixture-post", "not in the base"]),
        Case(name: "removing a package not in the base", arguments: ["override", "remove", "fixture-post"],
             mentions: ["fixture-post", "not in the base"]),
        Case(name: "removing a package others need", arguments: ["override", "remove", "fixture-lib"],
             mentions: ["fixture-lib", "fixture-app"]),
        Case(name: "resetting a package with no override", arguments: ["override", "reset", "fixture-app"],
             mentions: ["fixture-app", "no override"]),
        Case(name: "uninstalling a package that is not layered", arguments: ["uninstall", "fixture-app"],
             mentions: ["fixture-app", "not layered"]),
        Case(name: "deleting a kernel argument that is not there", arguments: ["kargs", "--delete", "nosuch"],
             mentions: ["nosuch"]),
        Case(name: "rollback with one deployment", arguments: ["rollback"], mentions: ["roll back"]),
        Case(name: "a version the branch never had", arguments: ["deploy", "99.9"], mentions: ["99.9"]),
        Case(name: "a branch the remote does not have", arguments: ["rebase", "test/none"], mentions: ["test/none"]),
        Case(name: "reboot on a sysroot that is not booted", arguments: ["upgrade", "--reboot"], mentions: ["--reboot", "booted"]),
        Case(name: "a package file that is not there", arguments: ["install", "/nonexistent/x.rpm"], mentions: ["/nonexistent/x.rpm"]),
    ]

    @Test(arguments: cases)
    func refusedChangesLeaveTheDeploymentsAsTheyWere(_ testCase: Case) throws {
        let sysroot = try ClientSysroot(ref: testCase.ref)
        let arguments = testCase.arguments.map { argument in
            argument.hasPrefix("@") ? sysroot.server.packages.rpmPath(String(argument.dropFirst())) : argument
        }
        let before = try sysroot.deploymentIDs()
        let options = try sysroot.bootEntryOptions()
        let result = try Program.run([BuiltExecutable.path("treectl")] + arguments + ["--sysroot", sysroot.path])
        #expect(result.status != 0)
        let errorLines = result.stderr.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1, "one error line: \(result.stderr)")
        for word in testCase.mentions {
            #expect(errorLines.first?.contains(word) == true, "'\(word)' in: \(result.stderr)")
        }
        #expect(try sysroot.deploymentIDs() == before)
        #expect(try sysroot.bootEntryOptions() == options)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sysroot.repository + "/tmp")
            .filter { $0.hasPrefix("treectl-") }.isEmpty, "no scratch tree left behind")
    }

    @Test func anUnsignedCommitFromAVerifyingRemoteIsRefused() throws {
        let sysroot = try ClientSysroot()
        try Program.check(["ostree", "--repo=" + sysroot.repository, "remote", "add", "--set=gpg-verify=true",
                           "signed", "file://" + sysroot.server.repository])
        let before = try sysroot.deploymentIDs()
        let result = try sysroot.treectl("rebase", "signed:test/os")
        #expect(result.status != 0)
        #expect(result.stderr.contains("GPG"), "\(result.stderr)")
        #expect(try sysroot.deploymentIDs() == before)
    }
}
