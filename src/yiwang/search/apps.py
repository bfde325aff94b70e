from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "yiwang.search"
    verbose_name = "搜索"

    def ready(self) -> None:
        from yiwang.search import indexer

        # Keep the index in step with publication: the catalogue announces, search listens (after commit).
        indexer.connect_events()
