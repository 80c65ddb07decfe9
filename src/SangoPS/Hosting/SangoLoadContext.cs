using System.Reflection;
using System.Runtime.Loader;

namespace SangoPS.Commands;

/// <summary>
/// SangoPS's own AssemblyLoadContext: the library and its dependencies (MQTTnet) load from the module's
/// Dependencies folder; everything else (the framework) comes from the default context as usual.
/// </summary>
internal sealed class SangoLoadContext : AssemblyLoadContext
{
    private readonly string _directory;

    public SangoLoadContext(string directory)
        : base("SangoPS", isCollectible: false)
    {
        _directory = directory;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
