"""The staff pages' words for the product team's loop (the Insights page, the replay, the labelled set, the checked
model switch), in both languages; `storefront/text.py` merges them into the labels and the messages."""
from __future__ import annotations

STAFF_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "insights": "Insights",
        "first_day": "From (UTC day)", "last_day": "To (UTC day)", "show_insights": "Show",
        "per_day": "Searches per day, by kind", "per_language": "Searches by language",
        "by_rank": "Opens by the result's rank", "stage_times": "Time per stage (ms)",
        "nothing_words": "#### Commonest searches that found nothing",
        "most_opened": "#### Products opened most", "never_shown": "#### Products never shown",
        "filters_used": "#### Filters used", "export_csv": "Download the events (CSV)",
        "replay_title": "#### Tuning from feedback\nThe searches that led to an open, searched again under candidate "
                        "settings and scored by the mean reciprocal rank (MRR) of what shoppers opened: chosen on four "
                        "fifths of the sessions, reported on the fifth held out. Text searches are replayed from their "
                        "words, \"more like this\" from the product; photo searches cannot be, because photos are "
                        "never kept. Nothing changes by itself: apply a proposal on the Tuning page.",
        "replay": "Replay the searches",
        "labelled_title": "#### Your labelled set\nThe labels CSV that `search eval` reads (image, text, "
                          "relevant_ids, relevant_category), its photos in a zip or by address: the current "
                          "sliders, the saved settings and the replay's proposal side by side.",
        "labels_file": "Labels (CSV)", "labels_photos": "Its photos (zip, optional)", "evaluate": "Evaluate",
        "use_proposal": "Move the sliders to the proposal",
        "confirm_switch": "Serve the new model", "rollback": "Roll back to the previous model",
        "remove_previous": "Remove the previous model's collection",
    },
    "zh-CN": {
        "insights": "洞察",
        "first_day": "起始日（UTC）", "last_day": "结束日（UTC）", "show_insights": "显示",
        "per_day": "每日搜索次数（按类型）", "per_language": "按语言的搜索次数",
        "by_rank": "按结果排名的打开次数", "stage_times": "各阶段耗时（毫秒）",
        "nothing_words": "#### 最常见的无结果搜索",
        "most_opened": "#### 打开最多的商品", "never_shown": "#### 从未展示的商品",
        "filters_used": "#### 使用过的筛选", "export_csv": "下载事件（CSV）",
        "replay_title": "#### 根据反馈调优\n把带来打开的搜索在候选设置下重新搜索，并按购物者打开的商品的平均倒数排名"
                        "（MRR）评分：在五分之四的会话上选出，在留出的五分之一上报告。文字搜索按其文字重放，"
                        "“更多相似商品”按商品重放；照片搜索无法重放，因为照片从不保存。不会自动改变任何设置："
                        "请在调优页面应用建议。",
        "replay": "重放搜索",
        "labelled_title": "#### 你的标注集\n`search eval` 读取的标注 CSV（image、text、relevant_ids、"
                          "relevant_category），照片放在 zip 中或用地址：当前滑块、已保存设置和重放建议并排比较。",
        "labels_file": "标注（CSV）", "labels_photos": "照片（zip，可选）", "evaluate": "评估",
        "use_proposal": "把滑块移到建议值",
        "confirm_switch": "启用新模型", "rollback": "回滚到之前的模型",
        "remove_previous": "删除之前模型的集合",
    },
}

STAFF_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "insights_summary": "{first} to {last} (UTC): **{searches}** searches · **{nothing}** found nothing "
                            "({nothing_share:.0%}) · **{below}** nothing above the threshold ({below_share:.0%}) · "
                            "**{opens}** opens of a result",
        "events_off": "Search events are off (`PRODUCT_SEARCH_EVENTS=off`): nothing is recorded.",
        "col_day": "day", "col_kind": "kind", "col_lang": "language", "col_searches": "searches", "col_rank": "rank",
        "col_opens": "opens", "col_product": "product", "col_shown": "shown", "col_words": "words",
        "col_stage": "stage", "col_ms": "ms", "col_percentile": "percentile", "col_filter": "filter",
        "col_value": "value", "col_setting": "setting", "col_fit": "MRR, fitted", "col_held_out": "MRR, held out",
        "none_listed": "none", "more_listed": "… and {count} more",
        "col_time": "time", "total": "total",
        "chart_results": "{count} results", "chart_one_result": "1 result", "chart_no_results": "no results yet",
        "chart_score": "match score",
        "chart_count": "results", "chart_threshold": "minimum score {value}", "chart_precision": "precision",
        "chart_recall": "recall", "chart_current": "current threshold", "chart_minimum": "minimum score",
        "chart_curve_title": "{queries} queries: precision and recall by minimum score",
        "kind_photo": "photo", "kind_text": "text", "kind_both": "photo and text", "kind_more_like": "more like this",
        "kind_items": "every item", "kind_crop": "part of a photo",
        "replay_none": "No replayable search led to an open in these days ({others} more led to one but cannot be "
                       "replayed: photos are never kept).",
        "replay_summary": "{replayed} searches replayed from {sessions} sessions, {held_out} of them held out; "
                          "{others} more led to an open but cannot be replayed (photos are never kept).",
        "replay_proposal": "**Proposed**: {knobs}. MRR on the held-out sessions: **{proposed:.3f}** against "
                           "**{current:.3f}** with the current settings. Apply it on the Tuning page (move the sliders "
                           "to the proposal, then save).",
        "replay_keep": "**The current settings are the best of the candidates** (held-out MRR {current:.3f}).",
        "labelled_queries": "{count} labelled queries",
        "setting_sliders": "current sliders", "setting_saved": "saved", "setting_proposed": "proposed",
        "no_proposal": "No proposal yet: replay the searches on the Insights page first.",
        "switch_ready": "**{preset}** is indexed beside the serving model, which still serves. Compared on {what}:",
        "on_labelled": "the labelled set {name}", "on_samples": "queries drawn from the catalog (no labelled set "
                                                               "was uploaded)",
        "on_replay": "Replayed searches (MRR of what shoppers opened, {count} searches)",
        "serving": "serving", "candidate": "new",
        "switched": "Now serving **{model}**. The previous model's collection is kept for a rollback.",
        "rolled_back": "Serving **{model}** again, at once; the other model's collection is kept.",
        "removed_previous": "Removed the previous model's collection ({collection}).",
    },
    "zh-CN": {
        "insights_summary": "{first} 至 {last}（UTC）：**{searches}** 次搜索 · **{nothing}** 次没有结果"
                            "（{nothing_share:.0%}）· **{below}** 次没有高于阈值的结果（{below_share:.0%}）· "
                            "**{opens}** 次打开结果",
        "events_off": "搜索事件已关闭（`PRODUCT_SEARCH_EVENTS=off`）：不记录任何内容。",
        "col_day": "日期", "col_kind": "类型", "col_lang": "语言", "col_searches": "搜索次数", "col_rank": "排名",
        "col_opens": "打开次数", "col_product": "商品", "col_shown": "展示次数", "col_words": "文字",
        "col_stage": "阶段", "col_ms": "毫秒", "col_percentile": "百分位", "col_filter": "筛选",
        "col_value": "值", "col_setting": "设置", "col_fit": "MRR（拟合）", "col_held_out": "MRR（留出）",
        "none_listed": "无", "more_listed": "……还有 {count} 个",
        "col_time": "耗时", "total": "合计",
        "chart_results": "{count} 个结果", "chart_one_result": "1 个结果", "chart_no_results": "还没有结果",
        "chart_score": "匹配分数",
        "chart_count": "结果数", "chart_threshold": "最低匹配分数 {value}", "chart_precision": "精确率",
        "chart_recall": "召回率", "chart_current": "当前阈值", "chart_minimum": "最低匹配分数",
        "chart_curve_title": "{queries} 个查询：各最低匹配分数下的精确率与召回率",
        "kind_photo": "照片", "kind_text": "文字", "kind_both": "照片和文字", "kind_more_like": "更多相似商品",
        "kind_items": "照片中每件商品", "kind_crop": "照片的一部分",
        "replay_none": "这段时间没有可重放的搜索带来打开（另有 {others} 次带来打开但无法重放：照片从不保存）。",
        "replay_summary": "重放了来自 {sessions} 个会话的 {replayed} 次搜索，其中 {held_out} 次留出；"
                          "另有 {others} 次带来打开但无法重放（照片从不保存）。",
        "replay_proposal": "**建议**：{knobs}。留出会话上的 MRR：**{proposed:.3f}**，当前设置为 **{current:.3f}**。"
                           "请在调优页面应用（把滑块移到建议值，然后保存）。",
        "replay_keep": "**当前设置是候选中最好的**（留出 MRR {current:.3f}）。",
        "labelled_queries": "{count} 条标注查询",
        "setting_sliders": "当前滑块", "setting_saved": "已保存", "setting_proposed": "建议",
        "no_proposal": "还没有建议：请先在洞察页面重放搜索。",
        "switch_ready": "**{preset}** 已在正在服务的模型旁建好索引，当前模型仍在服务。比较基于{what}：",
        "on_labelled": "标注集 {name}", "on_samples": "从目录中抽取的查询（尚未上传标注集）",
        "on_replay": "重放的搜索（购物者打开商品的 MRR，{count} 次搜索）",
        "serving": "当前", "candidate": "新模型",
        "switched": "现在由 **{model}** 提供搜索。之前模型的集合保留以便回滚。",
        "rolled_back": "已立即恢复由 **{model}** 提供搜索；另一个模型的集合保留。",
        "removed_previous": "已删除之前模型的集合（{collection}）。",
    },
}
