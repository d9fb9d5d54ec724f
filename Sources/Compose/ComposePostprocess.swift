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
        let tree = try RootedTree(root)
        try addFiles(tree)
        try enableUnits(tree)
        try runScripts()
        try removeFiles(tree)
        try buildInitramfs(tree)
    }

    /// Copies each `add-files` source (a regular file, checked when the treefile was loaded)
    /// to its destination inside the tree, replacing what is there.
    private func addFiles(_ tree: RootedTree) throws {
        for file in treefile.addFiles {
            let destination = file.destination.hasPrefix("/") ? file.destination : "/" + file.destination
            guard destination.hasPrefix("/usr/") || destination.hasPrefix("/etc/"),
                  !destination.split(separator: "/").contains("..") else {
                throw ComposeError("\(treefile.path): add-files: destination '\(file.destination)' must be under /usr or /etc")
            }
            do {
                try tree.copyFile(fromHost: file.source, to: destination)
            } catch let error as SystemCallError {
                throw ComposeError("\(treefile.path): add-files: cannot copy \(file.source) to \(destination): \(error)")
            }
        }
    }

    /// Enables each unit as `systemctl enable` would: a link in the `.wants` directory of
    /// every target named by its `WantedBy=`. Both are unit names, never paths.
    private func enableUnits(_ tree: RootedTree) throws {
        for unit in treefile.units {
            guard UnitName.isValid(unit) else {
                throw ComposeError("\(treefile.path): units: '\(unit)' is not a unit name")
            }
            let directories = ["/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system"]
            guard let directory = try directories.first(where: { try tree.resolvedStatus($0 + "/" + unit) != nil }),
                  let bytes = try tree.readFile(directory + "/" + unit, limit: 1 << 20) else {
                throw ComposeError("\(treefile.path): units: '\(unit)' is not installed in the tree")
            }
            let wantedBy = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
                .filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("WantedBy=") }
                .flatMap { $0.split(separator: "=", maxSplits: 1).last!.split(separator: " ").map(String.init) }
            guard !wantedBy.isEmpty else {
                throw ComposeError("\(treefile.path): units: '\(unit)' has no WantedBy= in its [Install] section")
            }
            for target in wantedBy {
                guard UnitName.isValid(target) else {
                    throw ComposeError("\(treefile.path): units: '\(unit)' has WantedBy=\(target), which is not a unit name")
                }
                try tree.createSymlink("/etc/systemd/system/\(target).wants/\(unit)", target: directory + "/" + unit)
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

    private func removeFiles(_ tree: RootedTree) throws {
        for entry in treefile.removeFiles {
            let relative = entry.hasPrefix("/") ? String(entry.dropFirst()) : entry
            guard !relative.isEmpty, !relative.split(separator: "/").contains("..") else {
                throw ComposeError("\(treefile.path): remove-files: invalid path '\(entry)'")
            }
            try tree.remove("/" + relative)
        }
    }

    /// A tree with a kernel but no initramfs gets one from its own dracut, with the ostree
    /// module and the treefile's `initramfs-args`.
    private func buildInitramfs(_ tree: RootedTree) throws {
        let modules = "/usr/lib/modules"
        var kernels: [(String, String)] = []   // (version, initramfs path inside the tree)
        for kver in try tree.contentsOfDirectory(modules) ?? []
        where try tree.status("\(modules)/\(kver)/vmlinuz") != nil && tree.status("\(modules)/\(kver)/initramfs.img") == nil {
            kernels.append((kver, "\(modules)/\(kver)/initramfs.img"))
        }
        for entry in try tree.contentsOfDirectory("/boot") ?? [] where entry.hasPrefix("vmlinuz-") {
            let kver = String(entry.dropFirst("vmlinuz-".count))
            if try tree.status("/boot/initrd.img-\(kver)") == nil && tree.status("\(modules)/\(kver)/initramfs.img") == nil {
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

/// systemd unit names (`foo.service`, `getty@tty1.service`, `multi-user.target`): what
/// `units:` and `WantedBy=` may hold, so that neither can become a path.
enum UnitName {
    static let suffixes: Set<String> = ["service", "socket", "device", "mount", "automount", "swap", "target",
                                        "path", "timer", "slice", "scope"]

    static func isValid(_ name: String) -> Bool {
        guard name.utf8.count <= 255, let dot = name.lastIndex(of: "."), dot != name.startIndex,
              suffixes.contains(String(name[name.index(after: dot)...])) else { return false }
        return name[..<dot].unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ":-_.\\@".unicodeScalars.contains(scalar))
        }
    }
}
