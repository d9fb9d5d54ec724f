import Foundation
import TestSupport
import Testing
import ToolSupport
@testable import Scenarios

/// What the client-agnostic steps send, how a booted commit is read, and the steps' YAML.
@Suite struct GuestClientTests {
    static let image = String(repeating: "a", count: 64)
    static let update = String(repeating: "b", count: 64)

    @Test func theBootedCommitIsReadFromOstreeAdminStatus() {
        let status = """
              fedora-coreos \(Self.update).0 (pending)
                origin refspec: fedora:fedora/x86_64/coreos/stable
            * fedora-coreos \(Self.image).1
                Version: 39.20231101.3.0
                origin refspec: fedora:fedora/x86_64/coreos/stable
            """
        #expect(GuestClient.bootedCommit(fromOstreeStatus: status) == Self.image)
        #expect(GuestClient.bootedCommit(fromOstreeStatus: "  os \(Self.image).0\n") == nil, "no booted line")
        #expect(GuestClient.bootedCommit(fromOstreeStatus: "* os notachecksum.0\n") == nil)
    }

    @Test func theBootedBaseCommitIsReadFromAClientsJSON() {
        let json = #"{"deployments": [{"booted": false, "checksum": "x"}, {"booted": true, "checksum": "layered", "base-checksum": "\#(Self.image)"}]}"#
        #expect(GuestClient.bootedCommit(fromStatusJSON: json) == Self.image, "a layered deployment is checked by its base")
        #expect(GuestClient.bootedCommit(fromStatusJSON: #"{"deployments": [{"booted": true, "checksum": "c"}]}"#) == "c")
        #expect(GuestClient.bootedCommit(fromStatusJSON: "not json") == nil)
    }

    @Test func kernelArgumentsAreQuotedForTheShell() {
        #expect(GuestClient.treectl.kargs(append: ["a=1", "b='x'"]) == #"treectl kargs --append='a=1' --append='b='\''x'\'''"#)
        let ostree = GuestClient.ostree.kargs(append: ["quiet"])
        #expect(ostree.contains("ostree admin deploy") && ostree.contains("--karg-append='quiet'") && ostree.contains("--origin-file="))
    }

    /// The rollback script of plain ostree, run by a real shell against a fake `ostree` in
    /// PATH that behaves as 2022.7 does (no set-default, though `set-default --help` exits 0,
    /// as a boot over SSH found out): it deploys the previous deployment's commit again with
    /// that deployment's own kernel arguments, read from its boot entry.
    @Test func theOstreeRollbackDeploysThePreviousCommitWithItsOwnArguments() throws {
        let fixture = try KolaFixtureDirectory()
        let root = fixture.path
        let previous = "\(Self.image).0"
        try fixture.write("ostree/deploy/os/deploy/\(previous)/marker", "")
        try fixture.write("boot/loader/entries/ostree-1-os.conf", "options root=LABEL=root rw console=ttyS0 ostree=\(root)/boot/link-1\n")
        try fixture.write("boot/loader/entries/ostree-2-os.conf", "options root=LABEL=root rw harness.scenario=kargs ostree=\(root)/boot/link-2\n")
        try FileManager.default.createSymbolicLink(atPath: root + "/boot/link-1", withDestinationPath: root + "/ostree/deploy/os/deploy/\(previous)")
        try fixture.write("bin/ostree", """
            #!/bin/sh
            case "$1 $2" in
            "admin --help") printf '  deploy             Checkout revision\n  undeploy           Delete deployment INDEX\n' ;;
            "admin set-default") [ "$3" = --help ] && exit 0  # as 2022.7: --help is answered first
                echo "error: Unknown \"admin\" subcommand 'set-default'" >&2; exit 1 ;;
            "admin status") printf '* os \(Self.update).0\\n    origin refspec: r:x\\n  os \(previous) (rollback)\\n' ;;
            *) echo "$@" > \(root)/deployed ;;
            esac
            """, mode: 0o755)
        let script = GuestClient.ostree.rollback
            .replacingOccurrences(of: "/boot/loader/entries", with: root + "/boot/loader/entries")
            .replacingOccurrences(of: "/ostree/deploy", with: root + "/ostree/deploy")
        let result = try Program.run(["sh", "-c", script], environment: ["PATH": root + "/bin:/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.stderr)")
        let deployed = try String(contentsOfFile: root + "/deployed", encoding: .utf8)
        #expect(deployed.contains("admin deploy --os=os --retain --karg-none --karg-append=root=LABEL=root --karg-append=rw --karg-append=console=ttyS0"))
        #expect(deployed.contains("--origin-file=\(root)/ostree/deploy/os/deploy/\(previous).origin \(Self.image)"))
        #expect(!deployed.contains("harness.scenario"), "the other deployment's arguments stay out: \(deployed)")
    }

    @Test func theClientStepsAreRead() throws {
        let fixture = try KolaFixtureDirectory()
        let path = try fixture.write("steps.yaml", """
            description: steps
            steps:
              - boot
              - upgrade
              - upgrade: {wait: false}
              - rollback
              - kargs: {append: [a=1, quiet]}
            """)
        let scenario = try Scenario.load(path)
        #expect(scenario.steps.map(\.title) == ["boot", "upgrade", "start the upgrade", "rollback", "kargs: append a=1 quiet"])
        for (yaml, message) in [("- kargs: quiet", "'kargs' takes 'append: ARGUMENT'"),
                                ("- kargs: {append: 'a b'}", "without spaces"),
                                ("- upgrade: now", "'wait: false'"),
                                ("- rollback: 1", "'rollback' takes nothing")] {
            let broken = try fixture.write("broken.yaml", "description: x\nsteps:\n  - boot\n  \(yaml)\n")
            #expect(throws: ScenarioError.self) { try Scenario.load(broken) }
            do { _ = try Scenario.load(broken) } catch { #expect(String(describing: error).contains(message), "\(error)") }
        }
    }
}
