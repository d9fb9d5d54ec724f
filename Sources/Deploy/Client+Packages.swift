import Foundation
import OSTree
import ToolSupport
import TreeAssembly

extension Client {
    /// The default deployment (the next boot): changes to packages start from its origin, so
    /// that a second `install` before a reboot keeps what the first one layered.
    public func defaultDeployment() throws -> OSTreeDeployment {
        guard let first = deployments.first else {
            throw DeployError("\(sysroot.path): stateroot '\(osName)' has no deployments")
        }
        return first
    }

    /// Edits the default deployment's origin with `edit`, builds the tree for it on the same
    /// base and deploys it. Returns nil when the edit changed nothing.
    @discardableResult
    public func changePackages(_ edit: (inout Origin) throws -> Void) throws -> OSTreeDeployment? {
        let start = try defaultDeployment()
        var origin = try origin(of: start)
        let before = origin
        try edit(&origin)
        guard origin != before else { return nil }
        return try deploy(base: try baseCommit(of: start.checksum), origin: origin)
    }

    /// Builds the commit for `origin` on `base` (layering when the origin asks for it) and
    /// deploys it.
    @discardableResult
    public func deploy(base: String, origin: Origin, kernelArguments: [String]? = nil) throws -> OSTreeDeployment {
        let commit = try LayeredCommit(client: self, configuration: try current(), arch: Self.machineArchitecture)
            .build(base: base, origin: origin)
        return try deploy(commit: commit, origin: origin, kernelArguments: kernelArguments)
    }

    /// Imports an RPM file into the sysroot's package cache (header and payload digests
    /// checked) and returns how an origin records it.
    public func importPackageFile(_ path: String) throws -> LocalPackage {
        guard FileManager.default.fileExists(atPath: path) else { throw DeployError("\(path): no such package file") }
        let cache = try PackageCache(path: sysroot.repositoryPath)
        let header = try cache.importPackage(at: path).header
        return LocalPackage(sha256: try Digest.sha256(file: path), name: header.name, evr: header.evr, arch: header.arch)
    }

    /// The architecture packages are chosen for: the machine's.
    static var machineArchitecture: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }
}
