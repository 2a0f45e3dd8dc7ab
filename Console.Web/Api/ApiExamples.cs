namespace VisionConsole.Web.Api;

/// <summary>
/// An example JSON body for every request type the APIs bind from JSON, shown in <c>/openapi/v1.json</c> and on the
/// console's API page. A test reads each back into its type, so an example cannot drift from the contract.
/// </summary>
internal static class ApiExamples
{
    public static IReadOnlyDictionary<Type, string> RequestBodies { get; } = new Dictionary<Type, string>
    {
        [typeof(DatasetsApi.CreateDatasetRequest)] = """{"displayName":"insects","kind":"SingleLabel"}""",
        [typeof(DatasetsApi.AddLabelRequest)] = """{"name":"ants"}""",
        [typeof(DatasetsApi.SetSplitRequest)] = """{"split":"Validation","version":3}""",
        [typeof(DatasetsApi.ChangeLabelsRequest)] = """{"imageIds":[12,13],"add":[2],"remove":[3],"versions":{"12":4,"13":1}}""",
        [typeof(DatasetsApi.RenameLabelRequest)] = """{"name":"honey bees"}""",
        [typeof(DatasetsApi.MergeLabelRequest)] = """{"into":2}""",
        [typeof(DatasetsApi.DeleteImagesRequest)] = """{"imageIds":[12,13]}""",
        [typeof(DatasetsApi.SetSplitsRequest)] = """{"imageIds":[12,13],"split":"Test"}""",
        [typeof(DatasetsApi.ResplitRequest)] = """{"onlyUnassigned":true}""",
        [typeof(BoxesApi.SaveBoxesRequest)] = """{"version":5,"boxes":[{"id":40,"labelId":2,"left":0.1,"top":0.2,"width":0.3,"height":0.25},{"labelId":2,"left":0.55,"top":0.4,"width":0.2,"height":0.3}],"noObjects":false}""",
        [typeof(BoxesApi.AddBoxRequest)] = """{"labelId":2,"left":0.1,"top":0.2,"width":0.3,"height":0.25,"version":5}""",
        [typeof(BoxesApi.UpdateBoxRequest)] = """{"version":6,"left":0.12,"top":0.2}""",
        [typeof(BoxesApi.NoObjectsRequest)] = """{"noObjects":true,"version":5}""",
        [typeof(AutoMlDatasetsApi.CreateDatasetBody)] = """{"displayName":"insects","imageClassificationDatasetMetadata":{"classificationType":"MULTICLASS"}}""",
        [typeof(AutoMlDatasetsApi.PatchDatasetBody)] = """{"displayName":"insects 2"}""",
        [typeof(AutoMlDatasetsApi.ImportDataBody)] = """{"inputConfig":{"gcsSource":{"inputUris":["/srv/photos/hymenoptera/train"]}}}""",
        [typeof(AutoMlDatasetsApi.ExportDataBody)] = """{"outputConfig":{"format":"AUTOML_CSV"}}""",
        [typeof(ModelsApi.CreateModelRequest)] = """{"displayName":"insects-v1","datasetId":"1","imageClassificationModelMetadata":{"modelType":"mobile-versatile-1","trainBudgetMilliNodeHours":"100"}}""",
        [typeof(OperationsApi.WaitOperationBody)] = """{"timeout":"30s"}""",
        [typeof(ModelsApi.ExportModelRequest)] = """{"outputConfig":{"modelFormat":"tflite"}}""",
        [typeof(ModelPackagesApi.TagRequest)] = """{"tags":["production"]}""",
        [typeof(ApiKeysApi.CreateApiKeyRequest)] = """{"name":"ci","role":"editor"}""",
        [typeof(LabelSuggestionsApi.SuggestRequest)] = """{"modelId":5,"skip":0,"take":50}""",
        [typeof(LabelSuggestionsApi.AcceptRequest)] = """{"modelId":5,"items":[{"imageId":12,"labelId":2,"version":1}]}""",
        [typeof(LabelingQueueApi.ReviewRequest)] = """{"accept":false,"comment":"The second box is a dog, not a raccoon.","version":7}""",
        [typeof(HostedModelsApi.ModelBody)] = """{"displayName":"insects","tags":["edge"],"tfliteModel":{"automlModel":"projects/default/locations/us-central1/models/5"}}""",
        [typeof(HostedModelsApi.RollbackBody)] = """{"version":1}""",
    };
}
