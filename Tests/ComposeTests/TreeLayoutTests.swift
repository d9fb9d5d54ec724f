import Foundation
import TestSupport
import Testing
import ToolSupport
import TreeAssembly

/// The OSTree layout step on small hand-made trees.
@Suite struct TreeLayoutTests {
    func makeTree(_ files: [String: String], directories: [String] = []) throws -> TemporaryDirectory {
        let scratch = try TemporaryDirectory(prefix: "layout-", in: ProcessScratchDirectory.path())
        for directory in directories {
            try FileManager.default.createDirectory(atPath: scratch.path + directory, withIntermediateDirectories: true)
        }
        for (path, content) in files {
            let full = scratch.path + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return scratch
    }

    @Test func kernelAndInitramfsMoveUnderModulesAndBootIsEmptied() throws {
        let tree = try makeTree(["/boot/vmlinuz-6.1.0-13-amd64": "kernel", "/boot/initrd.img-6.1.0-13-amd64": "initrd",
                                 "/boot/config-6.1.0-13-amd64": "config", "/etc/os-release": "ID=test\n"])
        defer { tree.remove() }
        let version = try TreeLayout(root: tree.path).apply()
        #expect(version == "6.1.0-13-amd64")
        let modules = tree.path + "/usr/lib/modules/6.1.0-13-amd64"
        #expect(try String(contentsOfFile: modules + "/vmlinuz", encoding: .utf8) == "kernel")
        #expect(try String(contentsOfFile: modules + "/initramfs.img", encoding: .utf8) == "initrd")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.path + "/boot").isEmpty)
    }

    @Test func homeContentMovesIntoVarAndBecomesTmpfilesEntries() throws {
        let tree = try makeTree(["/root/.profile": "export A=1\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
                                 "/etc/group": "root:x:0:\n"], directories: ["/home", "/var/log"])
        defer { tree.remove() }
        try TreeLayout(root: tree.path).apply()
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tree.path + "/root") == "var/roothome")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tree.path + "/home") == "var/home")
        let tmpfiles = try String(contentsOfFile: tree.path + "/usr/lib/tmpfiles.d/harness-var.conf", encoding: .utf8)
        #expect(tmpfiles.contains("C /var/roothome/.profile - - - - /usr/share/factory/var/roothome/.profile"))
        #expect(tmpfiles.contains("d /var/log 0755 root root - -"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.path + "/var").isEmpty)
        #expect(try String(contentsOfFile: tree.path + "/usr/etc/rpm/macros.harness-dbpath", encoding: .utf8)
            .contains("%_dbpath /usr/share/rpm"))
    }
}

/// rpm's text capabilities to the kernel's `security.capability` bytes.
@Suite struct FileCapabilitiesTests {
    @Test func netRawEffectivePermitted() throws {
        let capabilities = try FileCapabilities(text: "cap_net_raw=ep")
        #expect(capabilities.permitted == 1 << 13)
        #expect(capabilities.effective)
        #expect(capabilities.xattrValue == [0x01, 0, 0, 0x02, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func emptySetGrantsNothing() throws {
        #expect(try FileCapabilities(text: "=").isEmpty)
    }

    @Test func severalClausesAndOperators() throws {
        let capabilities = try FileCapabilities(text: "cap_chown,cap_kill+ep cap_kill-e cap_setuid=i")
        #expect(capabilities.permitted == (1 << 0) | (1 << 5))
        #expect(capabilities.inheritable == 1 << 7)
    }

    @Test func unknownCapabilityIsNamed() {
        #expect(errorText { _ = try FileCapabilities(text: "cap_flying=ep") }?.contains("cap_flying") == true)
    }
}
