import Foundation
import ToolSupport

/// Kernel modules for a small initramfs: the named modules and everything they depend on, in
/// load order, from the commit's own `/usr/lib/modules/KVER` (read through `RootedTree`: a
/// commit is input like any other, and its links lead nowhere outside it). Modules built into
/// the kernel are skipped; compressed ones are decompressed on the host, since busybox's insmod
/// reads plain ELF only.
struct KernelModules {
    /// The deployment's root and the kernel version.
    let tree: RootedTree
    let kernelVersion: String

    /// Bounds: modules.dep of a distribution kernel is about 1 MiB; the largest module a few.
    static let maximumIndex = 8 << 20
    static let maximumModule = 64 << 20

    var directory: String { "/usr/lib/modules/\(kernelVersion)" }

    /// A module's name as the kernel knows it: `virtio-blk` and `virtio_blk` are one.
    static func name(ofPath path: Substring) -> String {
        var file = path.split(separator: "/").last.map(String.init) ?? ""
        for suffix in [".xz", ".zst", ".gz"] where file.hasSuffix(suffix) { file.removeLast(suffix.count) }
        if file.hasSuffix(".ko") { file.removeLast(3) }
        return file.replacingOccurrences(of: "-", with: "_")
    }

    /// modules.dep as name -> (path, dependency names), and the built-in module names.
    func index() throws -> (modules: [String: (path: String, dependencies: [String])], builtIn: Set<String>) {
        guard let dep = try tree.readFile(directory + "/modules.dep", limit: Self.maximumIndex) else {
            throw ImageError("\(directory)/modules.dep: not in the commit")
        }
        var modules: [String: (String, [String])] = [:]
        for line in String(decoding: dep, as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let path = line[..<colon]
            let dependencies = line[line.index(after: colon)...].split(separator: " ").map { Self.name(ofPath: $0) }
            modules[Self.name(ofPath: path)] = (String(path), dependencies)
        }
        let builtInText = try tree.readFile(directory + "/modules.builtin", limit: Self.maximumIndex) ?? []
        let builtIn = Set(String(decoding: builtInText, as: UTF8.self).split(separator: "\n").map { Self.name(ofPath: $0) })
        return (modules, builtIn)
    }

    /// The module names to load, dependencies first. A wanted module the kernel has neither
    /// built in nor as a module is skipped: kernels differ in what they split out.
    func loadOrder(_ wanted: [String]) throws -> [(name: String, path: String)] {
        let (modules, builtIn) = try index()
        var order: [(String, String)] = []
        var seen: Set<String> = []
        func visit(_ name: String) {
            guard !seen.contains(name), !builtIn.contains(name), let module = modules[name] else { return }
            seen.insert(name)
            module.dependencies.forEach(visit)
            order.append((name, module.path))
        }
        wanted.map { $0.replacingOccurrences(of: "-", with: "_") }.forEach(visit)
        return order
    }

    /// Writes each module of `loadOrder(wanted)` as `DESTINATION/NAME.ko`, plain; returns the names in order.
    func install(_ wanted: [String], into destination: String) throws -> [String] {
        let order = try loadOrder(wanted)
        for (name, path) in order {
            guard let bytes = try tree.readFile(directory + "/" + path, limit: Self.maximumModule) else {
                throw ImageError("\(directory)/\(path): listed in modules.dep, not in the commit")
            }
            let target = destination + "/" + name + ".ko"
            let decompressor: String? = path.hasSuffix(".xz") ? "xz" : path.hasSuffix(".zst") ? "zstd" : path.hasSuffix(".gz") ? "gzip" : nil
            if let decompressor {
                let packed = target + ".packed"
                try Data(bytes).write(to: URL(fileURLWithPath: packed))
                try Program.check(["sh", "-c", "\"$1\" -dc \"$2\" >\"$3\"", "sh", decompressor, packed, target])
                try FileManager.default.removeItem(atPath: packed)
            } else {
                try Data(bytes).write(to: URL(fileURLWithPath: target))
            }
        }
        return order.map(\.0)
    }
}
