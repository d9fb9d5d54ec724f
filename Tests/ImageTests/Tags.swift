import Testing

extension Tag {
    /// Tests that boot a VM (under TCG here: about a minute each, plus the image they need).
    @Tag static var boot: Self
}
