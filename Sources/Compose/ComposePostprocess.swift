import Foundation
import ToolSupport
import TreeAssembly
import Treefile

/// The treefile's own changes to an assembled tree, in rpm-ostree's order: `add-files`,
/// `units`, `postprocess` scripts, `postprocess-script`, `remove-files`, then the initramfs.
/// Runs while `/etc` is still `/etc`; the OSTree layout comes after.
struct ComposePostprocess {
    let treefile: Treefile
    let root: String

    func apply() throws {
        try addFiles()
        try enableUnits()
        try runScripts()
        try removeFiles()
        try buildInitramfs()
    }

    private func addFiles() throws {
        for file in treefile.addFiles {
            let destination = file.destination.hasPrefix("/") ? file.destination : "/" + file.destination
            guard destination.hasPrefix("/usr/") || destination.hasPrefix("/etc/"),
                  !destination.split(separator: "/").contains("..") else {
                throw ComposeError("\(treefile.path): add-files: destination '\(file.destination)' must be under /usr or /etc")
            }
            let target = root + destination
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: target)
            try Program.check(["cp", "--preserve=mode", "--", file.source, target])
        }
    }

    /// Enables each unit as `systemctl enable` would: a link in the `.wants` directory of
    /// every target named by its `WantedBy=`.
    private func enableUnits() throws {
        for unit in treefile.units {
            let directories = ["/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system"]
            guard let directory = directories.first(where: { FileManager.default.fileExists(atPath: root + $0 + "/" + unit) }),
                  let text = try? String(contentsOfFile: root + directory + "/" + unit, encoding: .utf8) else {
                throw ComposeError("\(treefile.path): units: '\(unit)' is not installed in the tree")
            }
            let wantedBy = text.split(whereSeparator: \.isNewline)
                .filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("WantedBy=") }
                .flatMap { $0.split(separator: "=", maxSplits: 1).last!.split(separator: " ").map(String.init) }
            guard !wantedBy.isEmpty else {
                throw ComposeError("\(treefile.path): units: '\(unit)' has no WantedBy= in its [Install] section")
            }
            for target in wantedBy {
                let wants = root + "/etc/systemd/system/\(target).wants"
                try FileManager.default.createDirectory(atPath: wants, withIntermediateDirectories: true)
                try? FileManager.default.removeItem(atPath: wants + "/" + unit)
                try FileManager.default.createSymbolicLink(atPath: wants + "/" + unit, withDestinationPath: directory + "/" + unit)
            }
        }
    }

    private func runScripts() throws {
        var scripts = treefile.postprocess.enumerated().map { ("postprocess script \($0.offset + 1)", $0.element) }
        if let path = treefile.postprocessScript {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ComposeError("\(treefile.path): postprocess-script: cannot read \(path)")
            }
            scripts.append(("postprocess-script \(path)", text))
        }
        guard !scripts.isEmpty else { return }
        let scratch = try TemporaryDirectory(prefix: "harness-postprocess-")
        defer { scratch.remove() }
        for (name, text) in scripts {
            Console.progress("Running \(name)")
            let scriptPath = scratch.path + "/script"
            try text.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            chmod(scriptPath, 0o755)
            var sandbox = SandboxedCommand(root: root)
            sandbox.readOnlyBinds.append((scriptPath, "/run/harness-postprocess"))
            let interpreter = text.hasPrefix("#!") ? [] : ["/bin/sh"]
            guard interpreter.isEmpty || sandbox.exists("/bin/sh") else {
                throw ComposeError("\(treefile.path): \(name) needs /bin/sh, which the tree does not have")
            }
            let result = try sandbox.run(interpreter + ["/run/harness-postprocess"])
            guard result.succeeded else {
                let output = result.outputTail()
                throw ComposeError("\(treefile.path): \(name) failed with exit status \(result.status): \(output)")
            }
        }
    }

    private func removeFiles() throws {
        for entry in treefile.removeFiles {
            let relative = entry.hasPrefix("/") ? String(entry.dropFirst()) : entry
            guard !relative.isEmpty, !relative.split(separator: "/").contains("..") else {
                throw ComposeError("\(treefile.path): remove-files: invalid path '\(entry)'")
            }
            FileTree.removeRecursively(root + "/" + relative)
        }
    }

    /// A tree with a kernel but no initramfs gets one from its own dracut, with the ostree
    /// module and the treefile's `initramfs-args`.
    private func buildInitramfs() throws {
        let fm = FileManager.default
        let modules = root + "/usr/lib/modules"
        var kernels: [(String, String)] = []   // (version, initramfs path inside the tree)
        for kver in (try? fm.contentsOfDirectory(atPath: modules)) ?? []
        where fm.fileExists(atPath: "\(modules)/\(kver)/vmlinuz") && !fm.fileExists(atPath: "\(modules)/\(kver)/initramfs.img") {
            kernels.append((kver, "/usr/lib/modules/\(kver)/initramfs.img"))
        }
        for entry in (try? fm.contentsOfDirectory(atPath: root + "/boot")) ?? [] where entry.hasPrefix("vmlinuz-") {
            let kver = String(entry.dropFirst("vmlinuz-".count))
            if !fm.fileExists(atPath: root + "/boot/initrd.img-\(kver)") && !fm.fileExists(atPath: "\(modules)/\(kver)/initramfs.img") {
                kernels.append((kver, "/boot/initrd.img-\(kver)"))
            }
        }
        guard !kernels.isEmpty else {
            if !treefile.initramfsArgs.isEmpty {
                Console.warning("\(treefile.path): initramfs-args given but the tree has no kernel without an initramfs")
            }
            return
        }
        let sandbox = SandboxedCommand(root: root)
        guard sandbox.exists("/usr/bin/dracut") else {
            Console.warning("the tree has kernel \(kernels[0].0) but no dracut; it will have no initramfs")
            return
        }
        for (kver, output) in kernels {
            Console.progress("Building the initramfs for kernel \(kver) with dracut")
            let arguments = ["dracut", "--no-hostonly", "--add", "ostree", "--force"] + treefile.initramfsArgs
                + ["--kver", kver, output]
            let result = try sandbox.run(arguments)
            guard result.succeeded else {
                let tail = result.outputTail(includingStdout: false)
                throw ComposeError("dracut failed for kernel \(kver) with exit status \(result.status): \(tail)")
            }
        }
    }
}
