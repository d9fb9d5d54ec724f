import Foundation

/// Where the tests find the repository's own files and the machine's shared corpora.
public enum TestPaths {
    /// The directory holding Package.swift, found from where this file sits
    /// (`Tests/TestSupport/TestPaths.swift`).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
            .path
    }

    /// `packageRoot/../shared` (treefile and RPM corpora shared between checkouts), or nil
    /// when this checkout has none beside it.
    public static var sharedDirectory: String? {
        let shared = URL(fileURLWithPath: packageRoot).appendingPathComponent("../shared").standardizedFileURL.path
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: shared, isDirectory: &isDirectory) && isDirectory.boolValue
            ? shared : nil
    }

    /// `images/fixtures`, where the fixture packages' spec files live.
    public static var fixtureSpecsDirectory: String {
        packageRoot + "/images/fixtures"
    }
}
