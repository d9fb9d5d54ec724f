/// Checks on the merged, substituted treefile that no single file's types can catch.
enum TreefileValidation {
    static func check(_ values: [String: TreefileValue], rootDisplayName: String) throws {
        func invalid(_ message: String) -> TreefileError {
            TreefileError(.invalidValue, file: rootDisplayName, message)
        }
        if let ref = values["ref"]?.stringValue, ref.allSatisfy(\.isWhitespace) {
            throw invalid("key 'ref' must not be empty")
        }
        if let suffix = values["automatic-version-suffix"]?.stringValue,
           !(suffix.utf8.count == 1 && suffix.allSatisfy(\.isASCII)) {
            throw invalid("key 'automatic-version-suffix' must be exactly one ASCII character, not '\(suffix)'")
        }
        for pair in values["add-files"]?.listValue ?? [] {
            guard let destination = pair.stringListValue?.last, !isAllowedAddFilesDestination(destination) else { continue }
            throw invalid("key 'add-files': destination '\(destination)' must be under /usr (not /usr/local), /etc, /bin, /sbin, /lib or /lib64")
        }
        if let repovars = values["repovars"]?.mapValue {
            for reserved in ["releasever", "basearch"] where repovars[reserved] != nil {
                throw invalid("key 'repovars' cannot set '\(reserved)'; it is filled in from the treefile")
            }
        }
        if let version = values["selinux-label-version"]?.unsignedValue, version > 1 {
            throw invalid("key 'selinux-label-version' must be 0 or 1, not \(version)")
        }
    }

    private static func isAllowedAddFilesDestination(_ destination: String) -> Bool {
        let path = destination.drop(while: { $0 == "/" })
        if path.hasPrefix("usr/") { return !path.hasPrefix("usr/local/") }
        return ["etc/", "bin/", "sbin/", "lib/", "lib64/"].contains { path.hasPrefix($0) }
    }
}
