import Foundation
import Testing
import ToolSupport
@testable import Machine

/// The SSH channel's command line and wrapping (the channel itself is exercised by the boot
/// tests, against a guest's sshd).
@Suite struct SSHChannelTests {
    /// What crosses the remote login shell is base64: a command with quotes, expansions and
    /// newlines runs as `/bin/sh -c` would run it here.
    @Test func aCommandCrossesTheLoginShellUnchanged() throws {
        let command = "x='it'\"'\"'s'; echo \"$x\" $((1 + 2)) `echo back`\nprintf '%s\\n' \"a  b\""
        let direct = try Program.check(["/bin/sh", "-c", command]).stdout
        let wrapped = try Program.check(["bash", "-c", SSHChannel.wrapped(command)]).stdout
        #expect(wrapped == direct && direct == "it's 3 back\na  b\n")
        let arguments = SSHChannel(port: 40022, identity: "/state/ssh/id_ed25519").arguments("true")
        #expect(arguments.contains("root@127.0.0.1") && arguments.contains("40022") && arguments.contains("BatchMode=yes"))
    }

    @Test func theSSHForwardListensOnLoopbackOnly() {
        let definition = DomainDefinition(name: "d", accelerator: .tcg, memoryMiB: 512, vcpus: 1, disk: "/d.qcow2",
                                          console: "/c.txt", agentSocket: "/a.sock", nvram: nil, sshPort: 40022)
        #expect(definition.xml.contains("hostfwd=tcp:127.0.0.1:40022-:22"))
        #expect(definition.xml.contains("restrict=on"), "the guest reaches nothing through the NIC")
        let noNetwork = DomainDefinition(name: "d", accelerator: .tcg, memoryMiB: 512, vcpus: 1, disk: "/d.qcow2",
                                         console: "/c.txt", agentSocket: "/a.sock", nvram: nil)
        #expect(!noNetwork.xml.contains("-netdev"))
    }
}
