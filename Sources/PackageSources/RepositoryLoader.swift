import Foundation
import RepoFetch
import Solver
import ToolSupport

/// Brings rpm-md repositories into a solver: metadata fetched with librepo (`file://` read in
/// place, `http(s)://` into a cache) and loaded with libdnf.
public enum RepositoryLoader {
    /// Fetches (or takes from the cache, within `metadata_expire`) and loads each of
    /// `definitions`; a repository that cannot be fetched is an error naming its `.repo` file.
    /// With `repo_gpgcheck=1`, `repomd.xml` must be signed by one of the repository's keys.
    /// Returns the definitions with the base URLs packages come from (a mirror list's).
    @discardableResult
    public static func load(_ definitions: [RepoDefinition], into solver: PackageSolver, cacheDirectory: String,
                            keys: RepositoryKeys) throws -> [RepoDefinition] {
        try definitions.map { definition in
            Console.progress("Fetching metadata of repository '\(definition.id)'")
            let fetched: FetchedMetadata
            let signingKeys = try definition.repoGPGCheck ? keys.armoredKeys(of: definition).map(\.text) : nil
            do {
                fetched = try RepositoryDownloader.fetchMetadata(
                    id: definition.id,
                    source: MetadataSource(baseURLs: definition.baseURLs, mirrorlist: definition.mirrorlist, metalink: definition.metalink),
                    cacheDirectory: cacheDirectory, signingKeys: signingKeys, maxAge: definition.metadataExpire)
            } catch let error as RepoFetchError {
                throw PackageSourceError("\(definition.file): \(error)", kind: error.isAboutSignature ? .signature : .repository)
            }
            try solver.addRepository(RepositoryMetadataFiles(id: definition.id, repomd: fetched.repomd,
                                                             primary: fetched.primary, filelists: fetched.filelists))
            var loaded = definition
            loaded.baseURLs = fetched.mirrors
            return loaded
        }
    }
}
