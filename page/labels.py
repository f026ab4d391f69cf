"""The page's fixed labels in English and Chinese, through Gradio's own i18n: `T("key")` in a layout is shown
in the language the browser (or the page's language switch) chose."""
from __future__ import annotations

import gradio as gr

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "# Visual product search\nUpload, snap, paste or link a photo to find the most similar products.",
        "shop": "Shop", "tuning": "Tuning", "admin": "Admin",
        "photo": "Your photo", "crop": "The part searched", "whole_photo": "Whole photo", "url": "…or an image address",
        "url_placeholder": "https://… and press Enter", "load": "Load",
        "text": "Describe it (optional)", "text_placeholder": "e.g. red leather handbag, or: like this but in blue",
        "blend": "Photo ↔ text blend", "blend_info": "0 = photo only, 1 = text only",
        "search": "Search", "examples": "Or try one of these", "filters": "Filters",
        "brand": "Brand", "category": "Category", "colour": "Colour", "min_price": "Min price",
        "max_price": "Max price", "any": "0 = any", "in_stock": "In stock only",
        "recognised": "The photo looks like (click to filter)", "results_here": "Results appear here.",
        "results": "Most similar products", "more": "More like this",
        "top_k": "How many results", "min_score": "Minimum match score",
        "rerank": "Business re-ranking weight", "rerank_info": "0 = similarity only; more puts in-stock products and "
                                                            "prices near the best match first",
        "keyword_weight": "Keyword weight", "keyword_info": "The share of a text's score that comes from its words "
                                                            "(brand, title, model number); the rest from CLIP",
        "preview": "Current results", "histogram": "#### Scores of the current results", "timings": "#### Time per stage of the last search",
        "curve": "#### What a threshold costs: precision and recall on sample queries drawn from the catalog",
        "password": "Admin password", "save_defaults": "Save as everyone's defaults",
        "stats": "Show store statistics", "feed": "Catalog feed (CSV, JSONL, Parquet, Shopify, "
                                                                   "Google Merchant XML)",
        "images_root": "Images folder on the server (default: the feed's folder)", "index": "Index the feed",
        "delete_ids": "Product ids to delete (one per line or comma separated)", "delete": "Delete",
        "preset": "Model preset", "switch": "Re-index with this preset and switch",
        "language": "Language",
    },
    "zh-CN": {
        "title": "# 以图搜商品\n上传、拍摄、粘贴或链接一张照片，找到最相似的商品。",
        "shop": "购物", "tuning": "调优", "admin": "管理",
        "photo": "你的照片", "crop": "正在搜索的部分", "whole_photo": "整张照片", "url": "……或图片地址",
        "url_placeholder": "https://… 然后按回车", "load": "加载",
        "text": "文字描述（可选）", "text_placeholder": "例如：红色皮革手提包，或：像这个但是蓝色的",
        "blend": "照片 ↔ 文字 权重", "blend_info": "0 = 只用照片，1 = 只用文字",
        "search": "搜索", "examples": "或者试试这些", "filters": "筛选",
        "brand": "品牌", "category": "类别", "colour": "颜色", "min_price": "最低价格",
        "max_price": "最高价格", "any": "0 = 不限", "in_stock": "只看有货",
        "recognised": "照片中识别出（点击筛选）", "results_here": "结果会显示在这里。",
        "results": "最相似的商品", "more": "更多相似商品",
        "top_k": "结果数量", "min_score": "最低匹配分数",
        "rerank": "业务重排序权重", "rerank_info": "0 = 只按相似度；越大越优先有货和价格接近最佳匹配的商品",
        "keyword_weight": "关键词权重", "keyword_info": "文字查询分数中来自关键词（品牌、标题、型号）的比例；其余来自 CLIP",
        "preview": "当前结果", "histogram": "#### 当前结果的分数分布", "timings": "#### 上次搜索各阶段耗时",
        "curve": "#### 阈值的代价：目录样例查询的精确率与召回率",
        "password": "管理员密码", "save_defaults": "保存为所有人的默认设置",
        "stats": "显示存储统计", "feed": "商品目录文件（CSV、JSONL、Parquet、Shopify、Google Merchant XML）",
        "images_root": "服务器上的图片文件夹（默认：目录文件所在文件夹）", "index": "导入目录",
        "delete_ids": "要删除的商品编号（每行一个或用逗号分隔）", "delete": "删除",
        "preset": "模型预设", "switch": "用此预设重新索引并切换",
        "language": "语言",
    },
}

I18N = gr.I18n(**{locale: labels for locale, labels in LABELS.items()})
T = I18N  # T("key") in layouts
