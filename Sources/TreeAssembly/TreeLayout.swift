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

    /// Applies every step; afterwards the tree can be committed and deployed. Every path is
    /// resolved inside the tree (`RootedTree`): whatever symlinks packages or scripts left,
    /// nothing outside it is read or changed.
    /// - Returns: the kernel version found, if any.
    @discardableResult
    public func apply() throws -> String? {
        let tree = try RootedTree(root)
        let kernel = try moveKernel(tree)
        try moveEtc(tree)
        try makeTopLevelLinks(tree)
        try convertVar(tree)
        try ensureDirectory("/sysroot", mode: 0o755, in: tree)
        try ensureDirectory("/tmp", mode: 0o1777, in: tree)
        try ensureDirectory("/run", mode: 0o755, in: tree)
        return kernel
    }

    /// Moves `/boot/vmlinuz-$kver` and its initramfs to `/usr/lib/modules/$kver/` and empties
    /// `/boot` (ostree fills it on deployment). A `/boot` that is not a directory of its own
    /// (a symlink) holds no kernel and is replaced by an empty directory.
    func moveKernel(_ tree: RootedTree) throws -> String? {
        var version: String?
        try ensureRealDirectory("/boot", in: tree)
        for entry in try tree.contentsOfDirectory("/boot") ?? [] where entry.hasPrefix("vmlinuz-") {
            let kver = String(entry.dropFirst("vmlinuz-".count))
            let modules = "/usr/lib/modules/" + kver
            try tree.createDirectory(modules)
            try replace(modules + "/vmlinuz", with: "/boot/" + entry, in: tree)
            for initrd in ["initrd.img-\(kver)", "initramfs-\(kver).img"] where try tree.status("/boot/" + initrd) != nil {
                try replace(modules + "/initramfs.img", with: "/boot/" + initrd, in: tree)
            }
            version = kver
        }
        for entry in try tree.contentsOfDirectory("/boot") ?? [] { try tree.remove("/boot/" + entry) }
        if version == nil {
            for kver in try tree.contentsOfDirectory("/usr/lib/modules") ?? []
            where try tree.status("/usr/lib/modules/\(kver)/vmlinuz") != nil {
                version = kver
            }
        }
        return version
    }

    /// `/etc` becomes `/usr/etc`, with an empty machine-id (the first boot makes one) and
    /// rpm told where the tree's database lives (Debian's rpm looks in `$HOME` otherwise).
    func moveEtc(_ tree: RootedTree) throws {
        if let etc = try tree.status("/etc"), FileMode.type(etc.st_mode) == FileMode.directory {
            if try tree.status("/usr/etc") != nil {
                try mergeMove(from: "/etc", into: "/usr/etc", in: tree)
            } else {
                try tree.move("/etc", to: "/usr/etc")
            }
        }
        try tree.createDirectory("/usr/etc/rpm")
        try tree.writeFile("/usr/etc/rpm/macros.harness-dbpath", Array("%_dbpath /usr/share/rpm\n".utf8))
        try tree.writeFile("/usr/etc/machine-id", [], mode: 0o444)
    }

    func makeTopLevelLinks(_ tree: RootedTree) throws {
        for (path, target) in Self.links {
            let full = "/" + path
            if let existing = try tree.status(full) {
                if FileMode.type(existing.st_mode) == FileMode.symlink {
                    if try tree.symlinkTarget(full) == target { continue }
                } else if FileMode.type(existing.st_mode) == FileMode.directory
                            && (target.hasPrefix("var/") || target.hasPrefix("../var/")) {
                    // Content shipped in e.g. /root moves to where the symlink will point.
                    let destination = ((full as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
                    try tree.createDirectory(destination)
                    try mergeMove(from: full, into: destination, in: tree)
                }
                try tree.remove(full)
            }
            try tree.createSymlink(full, target: target)
        }
    }

    /// Everything under `/var` becomes tmpfiles.d lines (directories and symlinks) plus content
    /// kept under `/usr/share/factory/var` and copied in by `C` lines (files, and whole
    /// directories from the second level down); `/var` itself is left empty.
    func convertVar(_ tree: RootedTree) throws {
        try ensureRealDirectory("/var", in: tree)
        // The directories the top-level links point into are the composed tree's to declare.
        var lines = stage == .clientLayer ? ["# Generated by treectl: the /var content of layered packages."] : [
            "# Generated by harness: the /var content of the composed tree.",
            "d /var/home 0755 root root - -", "d /var/roothome 0700 root root - -",
            "d /var/opt 0755 root root - -", "d /var/srv 0755 root root - -", "d /var/mnt 0755 root root - -",
            "d /var/usrlocal 0755 root root - -",
            "L /var/lib/rpm - - - - ../../usr/share/rpm",
        ]
        let declared = Set(lines.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) })
        let accounts = try Accounts(tree: tree)
        let userNames = Dictionary(accounts.users.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let groupNames = Dictionary(accounts.groups.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let factory = "/usr/share/factory/var"
        // Shallow entries one line each; a non-empty directory two levels down (/var/lib/dpkg)
        // is copied whole by one recursive `C` line: a first boot under emulation spent 24 s on
        // a thousand per-file copies.
        let entries = try tree.walk("/var").sorted { $0.path < $1.path }
        var copiedWhole: [String] = []
        for (relative, st) in entries {
            let path = "/var/" + relative
            guard !declared.contains(path), !relative.hasPrefix("lib/rpm"),
                  !copiedWhole.contains(where: { relative.hasPrefix($0 + "/") }) else { continue }
            let mode = String(format: "%04o", st.st_mode & 0o7777)
            let user = userNames[st.st_uid] ?? String(st.st_uid), group = groupNames[st.st_gid] ?? String(st.st_gid)
            let depth = relative.split(separator: "/").count
            switch FileMode.type(st.st_mode) {
            case FileMode.directory where try depth >= 2 && !(tree.contentsOfDirectory(path) ?? []).isEmpty:
                try keep(path, as: factory + "/" + relative, in: tree)
                copiedWhole.append(relative)
                lines.append("C \(path) - - - - /usr/share/factory/var/\(relative)")
            case FileMode.directory:
                lines.append("d \(path) \(mode) \(user) \(group) - -")
            case FileMode.symlink:
                lines.append("L \(path) - - - - \(try tree.symlinkTarget(path) ?? "")")
            case FileMode.regular:
                try keep(path, as: factory + "/" + relative, in: tree)
                lines.append("C \(path) - - - - /usr/share/factory/var/\(relative)")
            default:
                continue
            }
        }
        for entry in try tree.contentsOfDirectory("/var") ?? [] { try tree.remove("/var/" + entry) }
        try tree.createDirectory("/usr/lib/tmpfiles.d")
        try tree.writeFile("/usr/lib/tmpfiles.d/" + varTmpfilesName, Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Moves `source` (a file or a whole directory) to `kept` under /usr/share/factory.
    private func keep(_ source: String, as kept: String, in tree: RootedTree) throws {
        try tree.remove(kept)
        try tree.move(source, to: kept)
    }

    /// A directory the deployment needs: created when missing, its mode set; a symlink there
    /// is left as it is (the tree's choice), anything else is replaced by a directory.
    private func ensureDirectory(_ path: String, mode: mode_t, in tree: RootedTree) throws {
        if let existing = try tree.status(path), FileMode.type(existing.st_mode) == FileMode.symlink { return }
        try ensureRealDirectory(path, in: tree)
        try tree.setMode(path, mode)
    }

    /// Makes `path` a directory of its own: whatever else is there (a symlink, a file) goes.
    private func ensureRealDirectory(_ path: String, in tree: RootedTree) throws {
        if let existing = try tree.status(path) {
            if FileMode.type(existing.st_mode) == FileMode.directory { return }
            try tree.remove(path)
        }
        try tree.createDirectory(path)
    }

    /// Moves `source` to `destination`, replacing what is there.
    private func replace(_ destination: String, with source: String, in tree: RootedTree) throws {
        try tree.remove(destination)
        try tree.move(source, to: destination)
    }

    /// Moves the entries of the directory `source` into `destination` (entries already there
    /// win), then removes `source`.
    private func mergeMove(from source: String, into destination: String, in tree: RootedTree) throws {
        for entry in try tree.contentsOfDirectory(source) ?? [] {
            let from = source + "/" + entry, to = destination + "/" + entry
            if let existing = try tree.status(to) {
                let fromIsDirectory = (try tree.status(from)).map { FileMode.type($0.st_mode) == FileMode.directory } ?? false
                if fromIsDirectory && FileMode.type(existing.st_mode) == FileMode.directory {
                    try mergeMove(from: from, into: to, in: tree)
                }
                continue
            }
            try tree.move(from, to: to)
        }
        try tree.remove(source)
    }
}
