using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VisionConsole.Domain;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Jobs;

/// <summary>Registers training: the hosted trainer, its services, and what they run on.</summary>
public static class TrainerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the hosted trainer (<see cref="TrainerHostedService"/>, options from section <c>Trainer</c>),
    /// <see cref="ITrainingService"/>, <see cref="IModelService"/>, the training <see cref="IOperationJob"/>, the feature
    /// cache, the exported-model inference (one bounded session cache, <c>Inference:SessionCacheSize</c>), and, unless already registered, libvips imaging (blobs under
    /// <see cref="ConsoleOptions.BlobFolder"/>), the model zoo (data folder <see cref="ConsoleOptions.DataFolder"/>
    /// unless <c>Zoo:DataFolder</c> is set) and ONNX Runtime embedding. Call after <c>AddConsoleDomain</c>, so the
    /// database is upgraded before the trainer reads its queue. An <see cref="IModelExporter"/> registered by the
    /// export code is called as the training's export step.
    /// </summary>
    public static IServiceCollection AddConsoleTrainer(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<TrainerOptions>(configuration.GetSection(TrainerOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);

        if (!services.Any(d => d.ServiceType == typeof(IImageStore)))
        {
            services.AddVipsImaging();
            services.AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) =>
            {
                if (string.IsNullOrEmpty(store.BlobFolder))
                {
                    store.BlobFolder = console.BlobFolder;
                }
            });
        }
        if (!services.Any(d => d.ServiceType == typeof(IModelZoo)))
        {
            services.AddModelZoo(sp => ModelZooServiceCollectionExtensions.ReadOptions(configuration, sp.GetRequiredService<ConsoleOptions>().DataFolder));
        }
        if (!services.Any(d => d.ServiceType == typeof(EmbeddingService)))
        {
            services.AddEmbedding(configuration);
        }

        services.TryAddSingleton<FeatureCache>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<VisionConsole.Domain.Storage.IImageDataSweep, FeatureCacheSweep>());
        services.TryAddSingleton<FeatureExtractor>();
        services.Configure<VisionConsole.Trainer.Inference.InferenceOptions>(configuration.GetSection(VisionConsole.Trainer.Inference.InferenceOptions.SectionName));
        services.TryAddSingleton<VisionConsole.Trainer.Inference.IModelSessionCache, VisionConsole.Trainer.Inference.ModelSessionCache>();
        services.TryAddSingleton<VisionConsole.Trainer.Inference.ClassifierInference>();
        services.TryAddSingleton<VisionConsole.Trainer.Inference.ModelDeployment>();
        services.TryAddSingleton<OperationQueue>();
        services.AddMetrics();
        services.TryAddSingleton<OperationTelemetry>();
        // Every kind is an IOperationJob run by the one runner: trainings here, import and export registered by the domain.
        services.AddSingleton<IOperationQueue>(sp => sp.GetRequiredService<OperationQueue>());
        services.AddTransient<IOperationJob, ClassificationTrainingJob>();
        services.AddTransient<IOperationJob, DetectionTrainingJob>();
        services.AddTransient<IOperationJob, ModelExportOperationJob>();
        services.AddTransient<IOperationJob, VisionConsole.Trainer.Inference.BatchPredictionJob>();
        services.TryAddSingleton<VisionConsole.Trainer.Export.ModelPackageBuilder>();
        services.TryAddSingleton<VisionConsole.Domain.Models.IModelFormats>(sp => sp.GetRequiredService<VisionConsole.Trainer.Export.ModelPackageBuilder>());
        services.TryAddSingleton<VisionConsole.Trainer.Detection.DetectorInference>();
        services.TryAddSingleton<VisionConsole.Trainer.Detection.DetectionPredictor>();
        services.TryAddSingleton<IDetectionPredictionService>(sp => sp.GetRequiredService<VisionConsole.Trainer.Detection.DetectionPredictor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelExporter, ClassifierModelExporter>());
        services.TryAddSingleton<ITrainingService, TrainingService>();
        services.TryAddSingleton<IModelService, ModelService>();
        services.AddHostedService<TrainerHostedService>();
        return services;
    }
}
