import Foundation
import RPM
import RepoFetch
import ToolSupport

/// The OpenPGP keys a repository's `gpgkey=` names, fetched once per repository: `file://`
/// keys from the host or, for a client, from inside the deployment (`keyRoot`), remote ones
/// with librepo.
public final class RepositoryKeys: @unchecked Sendable {
    /// An armored key file is a few KiB; anything far larger is not one.
    static let maximumKeySize = 1 << 20

    private let lock = NSLock()
    private var texts: [String: [(source: String, text: String)]] = [:]
    private var keyrings: [String: RPMKeyring] = [:]

    public init() {}

    /// The armored keys of `definition`, in `gpgkey=` order.
    public func armoredKeys(of definition: RepoDefinition) throws -> [(source: String, text: String)] {
        if let known = lock.withLock({ texts[definition.id] }) { return known }
        let loaded = try definition.gpgKeys.map { url in
            (source: url, text: String(decoding: try Self.read(url, keyRoot: definition.keyRoot, for: definition), as: UTF8.self))
        }
        lock.withLock { texts[definition.id] = loaded }
        return loaded
    }

    /// The keys of `definition` as a librpm keyring, for checking its packages.
    public func keyring(of definition: RepoDefinition) throws -> RPMKeyring {
        if let known = lock.withLock({ keyrings[definition.id] }) { return known }
        let keyring: RPMKeyring
        do {
            keyring = try RPMKeyring(armoredKeys: armoredKeys(of: definition))
        } catch let error as RPMError {
            throw PackageSourceError("\(definition.file): repository '\(definition.id)': gpgkey \(error)", kind: .signature)
        }
        lock.withLock { keyrings[definition.id] = keyring }
        return keyring
    }

    private static func read(_ url: String, keyRoot: String?, for definition: RepoDefinition) throws -> [UInt8] {
        let failure = { (reason: String) in
            PackageSourceError("\(definition.file): repository '\(definition.id)': cannot read gpgkey \(url): \(reason)", kind: .signature)
        }
        if url.hasPrefix("file://") || url.hasPrefix("/") {
            let path = url.hasPrefix("file://") ? String(url.dropFirst("file://".count)) : url
            do {
                guard let bytes = try RootedTree(keyRoot ?? "/").readFile(path, limit: maximumKeySize) else {
                    throw failure("no such file" + (keyRoot.map { " in \($0)" } ?? ""))
                }
                return bytes
            } catch let error as SystemCallError {
                throw failure("\(error.errno)")
            }
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw failure("only file://, http:// and https:// keys are supported") }
        do {
            return try RepositoryDownloader.fetchFile(url, limit: maximumKeySize)
        } catch let error as RepoFetchError {
            throw failure("\(error)")
        }
    }
}
