namespace SangoPS;
internal static class Placeholder { }
