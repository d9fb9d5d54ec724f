import Foundation
import ToolSupport

/// Turns an assembled root into the layout an OSTree deployment needs: the kernel under
/// `/usr/lib/modules/$kver/`, `/etc` as `/usr/etc` (the default side of the three-way merge),
/// `/var` emptied into tmpfiles.d entries (the deployment's `/var` is never replaced), and the
/// top-level symlinks into `/var` and `/sysroot`.
public struct TreeLayout {
    /// Whose `/var` content is converted: a composed tree's, or what a client layered on
    /// top of a tree already converted (kept in a tmpfiles.d file of its own).
    public enum Stage: Sendable {
        case compose
        case clientLayer
    }

    public let root: String
    public let stage: Stage

    public init(root: String, stage: Stage = .compose) {
        self.root = root
        self.stage = stage
    }

    /// The tmpfiles.d file the stage's `/var` content goes into.
    var varTmpfilesName: String {
        switch stage {
        case .compose: "harness-var.conf"
        case .clientLayer: "harness-var-layered.conf"
        }
    }

    /// Symlinks the deployment needs at the top of the tree: (path, target).
    static let links: [(String, String)] = [
        ("home", "var/home"), ("root", "var/roothome"), ("opt", "var/opt"), ("srv", "var/srv"),
        ("mnt", "var/mnt"), ("media", "run/media"), ("usr/local", "../var/usrlocal"), ("ostree", "sysroot/ostree"),
    ]

    /// Applies every step; afterwards the tree can be committed and deployed.
    /// - Returns: the kernel version found, if any.
    @discardableResult
    public func apply() throws -> String? {
        let kernel = try moveKernel()
        try moveEtc()
        try makeTopLevelLinks()
        try convertVar()
        try ensureDirectory("/sysroot", mode: 0o755)
        try ensureDirectory("/tmp", mode: 0o1777)
        try ensureDirectory("/run", mode: 0o755)
        return kernel
    }

    /// Moves `/boot/vmlinuz-$kver` and its initramfs to `/usr/lib/modules/$kver/` and empties
    /// `/boot` (ostree fills it on deployment).
    func moveKernel() throws -> String? {
        let fm = FileManager.default
        var version: String?
        let boot = root + "/boot"
        for entry in (try? fm.contentsOfDirectory(atPath: boot)) ?? [] where entry.hasPrefix("vmlinuz-") {
            let kver = String(entry.dropFirst("vmlinuz-".count))
            let modules = root + "/usr/lib/modules/" + kver
            try fm.createDirectory(atPath: modules, withIntermediateDirectories: true)
            try replace(boot + "/" + entry, with: modules + "/vmlinuz")
            for initrd in ["initrd.img-\(kver)", "initramfs-\(kver).img"] where fm.fileExists(atPath: boot + "/" + initrd) {
                try replace(boot + "/" + initrd, with: modules + "/initramfs.img")
            }
            version = kver
        }
        if fm.fileExists(atPath: boot) {
            for entry in try fm.contentsOfDirectory(atPath: boot) { FileTree.removeRecursively(boot + "/" + entry) }
        }
        if version == nil {
            for kver in (try? fm.contentsOfDirectory(atPath: root + "/usr/lib/modules")) ?? []
            where fm.fileExists(atPath: root + "/usr/lib/modules/\(kver)/vmlinuz") {
                version = kver
            }
        }
        return version
    }

    /// `/etc` becomes `/usr/etc`, with an empty machine-id (the first boot makes one) and
    /// rpm told where the tree's database lives (Debian's rpm looks in `$HOME` otherwise).
    func moveEtc() throws {
        let fm = FileManager.default
        let etc = root + "/etc", usrEtc = root + "/usr/etc"
        if fm.fileExists(atPath: etc) && !FileTree.isSymlink(etc) {
            if fm.fileExists(atPath: usrEtc) {
                try mergeMove(from: etc, into: usrEtc)
            } else {
                try fm.createDirectory(atPath: root + "/usr", withIntermediateDirectories: true)
                try fm.moveItem(atPath: etc, toPath: usrEtc)
            }
        }
        try fm.createDirectory(atPath: usrEtc + "/rpm", withIntermediateDirectories: true)
        try "%_dbpath /usr/share/rpm\n".write(toFile: usrEtc + "/rpm/macros.harness-dbpath", atomically: true, encoding: .utf8)
        try? fm.removeItem(atPath: usrEtc + "/machine-id")
        fm.createFile(atPath: usrEtc + "/machine-id", contents: Data(), attributes: [.posixPermissions: 0o444])
    }

    func makeTopLevelLinks() throws {
        let fm = FileManager.default
        for (path, target) in Self.links {
            let full = root + "/" + path
            if FileTree.isSymlink(full) {
                if (try? fm.destinationOfSymbolicLink(atPath: full)) == target { continue }
                try fm.removeItem(atPath: full)
            } else if fm.fileExists(atPath: full) {
                // Content shipped in e.g. /root moves to where the symlink will point.
                let destination = ((full as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
                if target.hasPrefix("var/") || target.hasPrefix("../var/") {
                    try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
                    try mergeMove(from: full, into: destination)
                } else {
                    FileTree.removeRecursively(full)
                }
            }
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: full, withDestinationPath: target)
        }
    }

    /// Everything under `/var` becomes tmpfiles.d lines (directories and symlinks) plus content
    /// kept under `/usr/share/factory/var` and copied in by `C` lines (files, and whole
    /// directories from the second level down); `/var` itself is left empty.
    func convertVar() throws {
        let fm = FileManager.default
        let varRoot = root + "/var"
        try fm.createDirectory(atPath: varRoot, withIntermediateDirectories: true)
        // The directories the top-level links point into are the composed tree's to declare.
        var lines = stage == .clientLayer ? ["# Generated by treectl: the /var content of layered packages."] : [
            "# Generated by harness: the /var content of the composed tree.",
            "d /var/home 0755 root root - -", "d /var/roothome 0700 root root - -",
            "d /var/opt 0755 root root - -", "d /var/srv 0755 root root - -", "d /var/mnt 0755 root root - -",
            "d /var/usrlocal 0755 root root - -",
            "L /var/lib/rpm - - - - ../../usr/share/rpm",
        ]
        let declared = Set(lines.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) })
        let accounts = try Accounts(root: root)
        let userNames = Dictionary(accounts.users.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let groupNames = Dictionary(accounts.groups.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let factory = root + "/usr/share/factory/var"
        // Shallow entries one line each; a non-empty directory two levels down (/var/lib/dpkg)
        // is copied whole by one recursive `C` line: a first boot under emulation spent 24 s on
        // a thousand per-file copies.
        let entries = (fm.enumerator(atPath: varRoot)?.allObjects as? [String] ?? []).sorted()
        var copiedWhole: [String] = []
        for relative in entries {
            let host = varRoot + "/" + relative, path = "/var/" + relative
            guard !declared.contains(path), !relative.hasPrefix("lib/rpm"),
                  !copiedWhole.contains(where: { relative.hasPrefix($0 + "/") }) else { continue }
            var st = stat()
            guard lstat(host, &st) == 0 else { continue }
            let mode = String(format: "%04o", st.st_mode & 0o7777)
            let user = userNames[st.st_uid] ?? String(st.st_uid), group = groupNames[st.st_gid] ?? String(st.st_gid)
            let depth = relative.split(separator: "/").count
            switch FileMode.type(st.st_mode) {
            case FileMode.directory where depth >= 2 && !((try? fm.contentsOfDirectory(atPath: host))?.isEmpty ?? true):
                try keep(host, as: factory + "/" + relative)
                copiedWhole.append(relative)
                lines.append("C \(path) - - - - /usr/share/factory/var/\(relative)")
            case FileMode.directory:
                lines.append("d \(path) \(mode) \(user) \(group) - -")
            case FileMode.symlink:
                let target = (try? fm.destinationOfSymbolicLink(atPath: host)) ?? ""
                lines.append("L \(path) - - - - \(target)")
            case FileMode.regular:
                try keep(host, as: factory + "/" + relative)
                lines.append("C \(path) - - - - /usr/share/factory/var/\(relative)")
            default:
                continue
            }
        }
        for entry in try fm.contentsOfDirectory(atPath: varRoot) { FileTree.removeRecursively(varRoot + "/" + entry) }
        let tmpfiles = root + "/usr/lib/tmpfiles.d"
        try fm.createDirectory(atPath: tmpfiles, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: tmpfiles + "/" + varTmpfilesName, atomically: true, encoding: .utf8)
    }

    /// Moves `source` (a file or a whole directory) to `kept` under /usr/share/factory.
    private func keep(_ source: String, as kept: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: (kept as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileTree.removeRecursively(kept)
        try fm.moveItem(atPath: source, toPath: kept)
    }

    private func ensureDirectory(_ path: String, mode: Int) throws {
        let full = root + path
        if !FileManager.default.fileExists(atPath: full) && !FileTree.isSymlink(full) {
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        }
        chmod(full, mode_t(mode))
    }

    /// Moves `source` to `destination`, replacing what is there.
    private func replace(_ source: String, with destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.moveItem(atPath: source, toPath: destination)
    }

    /// Moves the entries of `source` into `destination` (entries already there win), then
    /// removes `source`.
    private func mergeMove(from source: String, into destination: String) throws {
        let fm = FileManager.default
        for entry in try fm.contentsOfDirectory(atPath: source) {
            let from = source + "/" + entry, to = destination + "/" + entry
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: to, isDirectory: &isDirectory) || FileTree.isSymlink(to) {
                if isDirectory.boolValue && !FileTree.isSymlink(from) && !FileTree.isSymlink(to) {
                    try mergeMove(from: from, into: to)
                }
                continue
            }
            try fm.moveItem(atPath: from, toPath: to)
        }
        FileTree.removeRecursively(source)
    }
}
