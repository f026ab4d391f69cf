"""Every problem a shopper, a merchant, an admin or an agent can be told, by code, in English and Chinese. An error
carries a code and its values (`catalog.errors.UserError`); it is worded here, in the reader's language, only where it
is shown. `tests/test_problems.py` walks every code: both languages, the same values, and every raise names a code."""
from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

ENGLISH, CHINESE = "en", "zh-CN"

# code: (English, Chinese). Values are filled in with str.format: {name!r} quotes a name as Python would.
PROBLEMS: dict[str, tuple[str, str]] = {
    # --- a search's query ---
    "no_query": ("give a photo, a text, or both to search with", "请提供照片、文字或两者来搜索"),
    "no_product": ("no product with id {id!r} in the catalog", "目录中没有编号为 {id!r} 的商品"),
    "gone": ("product {id} is no longer in the catalog", "商品 {id} 已不在目录中"),
    "pick_first": ("click a product first, then ask for more like it", "请先点击一件商品，再查看相似商品"),
    "photo_first": ("add a photo first, then find the products in it", "请先添加照片，再找出其中的商品"),
    "no_address": ("paste the address of a picture first", "请先粘贴图片地址"),
    "too_many": ("too many searches: wait {seconds} s and try again", "搜索太频繁：请等待 {seconds} 秒后再试"),
    "busy": ("many shoppers are searching at this moment: try again in a few seconds", "此刻搜索的人很多：请几秒后再试"),
    "crop_too_small": ("the crop is too small: click two opposite corners of the item",
                       "选取的部分太小：请点击商品的两个对角"),
    # --- an input that is not of the kind it takes (storefront/protocol.py words each kind) ---
    "invalid_input": ("{field}: {what}", "{field}：{what}"),
    "takes_text": ("must be text", "必须是文字"),
    "takes_shorter": ("must be at most {limit} characters", "最多 {limit} 个字符"),
    "takes_fewer": ("must have at most {limit} items", "最多 {limit} 项"),
    "takes_more": ("must have exactly {limit} items", "必须正好 {limit} 项"),
    "takes_whole": ("must be a whole number", "必须是整数"),
    "takes_number": ("must be a number", "必须是数字"),
    "takes_finite": ("must be a finite number", "必须是有限数字"),
    "takes_at_least": ("must be at least {limit}", "不能小于 {limit}"),
    "takes_at_most": ("must be at most {limit}", "不能大于 {limit}"),
    "takes_yes_no": ("must be true or false", "必须是 true 或 false"),
    "takes_list": ("must be a list", "必须是列表"),
    "takes_given": ("must be given", "必须提供"),
    "takes_object": ("must be an object of named fields", "必须是带字段名的对象"),
    "takes_valid": ("is not a value it takes", "不是可接受的值"),
    "not_an_address": ("{address!r} is not an image address: give an http(s):// or data: address, or a file",
                       "{address!r} 不是图片地址：请提供 http(s):// 或 data: 地址，或一个文件"),
    "not_uploaded": ("{name}: a file must be uploaded with the request, not named by a path on the server",
                     "{name}：文件须随请求上传，而不是给出服务器上的路径"),
    "unknown_facet": ("unknown {kind} {names}: the catalog has {known} (see the catalog_facets tool)",
                      "未知的{kind} {names}：目录中有 {known}（见 catalog_facets 工具）"),
    "price_order": ("min_price {low} is above max_price {high}", "最低价格 {low} 高于最高价格 {high}"),
    # --- a shopper's photo ---
    "not_an_image_type": ("{label}: cannot read an image from a {kind}", "{label}：无法从 {kind} 读取图片"),
    "file_too_big": ("{label}: file is {size:.1f} MiB, the limit is {limit} MiB",
                     "{label}：文件大小 {size:.1f} MiB，上限为 {limit} MiB"),
    "file_not_found": ("{label}: file not found", "{label}：找不到文件"),
    "file_is_folder": ("{label}: is a directory, not an image", "{label}：是文件夹，不是图片"),
    "file_denied": ("{label}: permission denied", "{label}：没有读取权限"),
    "file_empty": ("{label}: file is empty (0 bytes)", "{label}：文件是空的（0 字节）"),
    "too_many_pixels": ("{label}: image has too many pixels (over the limit of {limit:,} pixels)",
                        "{label}：图片像素太多（超过 {limit:,} 像素的上限）"),
    "pixels_over": ("{label}: {width}x{height} pixels is over the limit of {limit:,} pixels",
                    "{label}：{width}x{height} 像素超过 {limit:,} 像素的上限"),
    "too_small": ("{label}: {width}x{height} pixels is too small (at least {least} px per side)",
                  "{label}：{width}x{height} 像素太小（每边至少 {least} 像素）"),
    "strip": ("{label}: {width}x{height} pixels is a strip, not a photo (its sides are more than {ratio} times apart)",
              "{label}：{width}x{height} 像素是一条窄带，不是照片（长边超过短边的 {ratio} 倍）"),
    "damaged": ("{label}: image data is damaged or truncated ({detail})", "{label}：图片数据损坏或不完整（{detail}）"),
    "damaged_kind": ("{label}: image data is damaged or truncated (a {kind} file that cannot be read)",
                     "{label}：图片数据损坏或不完整（无法读取的 {kind} 文件）"),
    "is_pdf": ("{label}: is a PDF document, not a picture", "{label}：是 PDF 文档，不是图片"),
    "is_svg": ("{label}: is an SVG drawing: export it as PNG or JPEG", "{label}：是 SVG 矢量图：请导出为 PNG 或 JPEG"),
    "is_html": ("{label}: is a web page (HTML), not a picture", "{label}：是网页（HTML），不是图片"),
    "unknown_format": ("{label}: not an image format we can read (JPEG, PNG, WebP, GIF, BMP, TIFF)",
                       "{label}：不是可读取的图片格式（JPEG、PNG、WebP、GIF、BMP、TIFF）"),
    "array_shape": ("{label}: array of shape {shape} is not an HxW, HxWx3 or HxWx4 image",
                    "{label}：形状为 {shape} 的数组不是 HxW、HxWx3 或 HxWx4 图片"),
    "array_values": ("{label}: array values must be finite numbers", "{label}：数组的值必须是有限数字"),
    "not_data_url": ("{label}: not a data: URL with base64 image data", "{label}：不是含 base64 图片数据的 data: 地址"),
    # --- an image address ---
    "url_scheme": ("{url}: only http:// and https:// image addresses are accepted, not {scheme}://",
                   "{url}：只接受 http:// 和 https:// 图片地址，不接受 {scheme}://"),
    "url_failed": ("{url}: {reason}", "{url}：{reason}"),
    "url_failed_tries": ("{url}: {reason} (tried {tries} times)", "{url}：{reason}（已尝试 {tries} 次）"),
    "download_failed": ("download failed ({detail})", "下载失败（{detail}）"),
    "http_status": ("HTTP {status}", "HTTP {status}"),
    "no_answer_within": ("no answer within {seconds:.0f} s", "{seconds:.0f} 秒内没有响应"),
    "download_slow": ("download took longer than {seconds:.0f} s", "下载耗时超过 {seconds:.0f} 秒"),
    "url_too_big": ("{url}: larger than the {limit} MiB limit", "{url}：超过 {limit} MiB 的上限"),
    "url_status": ("{url}: HTTP {status} {reason}", "{url}：HTTP {status} {reason}"),
    "url_not_image": ("{url}: the server sent {kind}, not an image", "{url}：服务器发来的是 {kind}，不是图片"),
    "url_length": ("{url}: {size:.1f} MiB is over the {limit} MiB limit", "{url}：{size:.1f} MiB 超过 {limit} MiB 的上限"),
    "url_needs_cache": ("{url}: image URLs need an image cache, and this run has none",
                        "{url}：图片网址需要图片缓存，而本次运行没有"),
    "image_not_under": ("{image}: file not found under {root}", "{image}：在 {root} 下找不到文件"),
    # --- the model ---
    "fallback": ("{reason}. Using the offline colour-and-shape encoder instead: photos are matched by colour and "
                 "shape only, and text is searched by keyword.",
                 "无法载入所选模型（{reason}）。已改用离线的颜色与形状编码器：照片只按颜色和形状匹配，文字按关键词搜索。"),
    "no_weights_offline": ("no pretrained weights for {what}: not in the local cache and HF_HUB_OFFLINE is set",
                           "没有 {what} 的预训练权重：本地缓存中没有，且已设置 HF_HUB_OFFLINE"),
    "no_weights_unreachable": ("no pretrained weights for {what}: not in the local cache and {host} cannot be reached",
                               "没有 {what} 的预训练权重：本地缓存中没有，且无法连接 {host}"),
    "weights_file_missing": ("weights file {path} not found", "找不到权重文件 {path}"),
    "unknown_model": ("unknown model {model!r}: use a preset ({presets}), an open_clip model name, hf-hub:ORG/REPO "
                      "or local-dir:PATH", "未知模型 {model!r}：请使用预设（{presets}）、open_clip 模型名、"
                      "hf-hub:组织/仓库 或 local-dir:路径"),
    "needs_pretrained": ("{model} needs --pretrained: a tag ({tags}) or a local weights file",
                         "{model} 需要 --pretrained：标签（{tags}）或本地权重文件"),
    "unknown_tag": ("{model} has no pretrained tag {tag!r}; known tags: {tags}",
                    "{model} 没有预训练标签 {tag!r}；已知标签：{tags}"),
    "out_of_memory": ("{label} does not fit in the free memory of {device} even for one picture: free the device, "
                      "or use --device cpu or a smaller model",
                      "{label} 即使只处理一张图片也放不进 {device} 的空闲内存：请释放设备，或使用 --device cpu 或更小的模型"),
    "unknown_device": ("device {device!r}: use auto, cpu, cuda, cuda:N or mps", "设备 {device!r}：请使用 auto、cpu、cuda、cuda:N 或 mps"),
    "no_cuda": ("device {device}: torch sees {seen} CUDA GPU(s) on this machine (torch {torch}, built with CUDA "
                "{cuda})", "设备 {device}：torch 在本机只看到 {seen} 块 CUDA GPU（torch {torch}，CUDA {cuda}）"),
    "no_mps": ("device mps: torch sees no Apple GPU (MPS) on this machine", "设备 mps：torch 在本机看不到 Apple GPU（MPS）"),
    "device_unused": ("device {device!r}: the {model} model runs on the CPU only, without torch: use auto or cpu",
                      "设备 {device!r}：{model} 模型只在 CPU 上运行，不用 torch：请使用 auto 或 cpu"),
    "unknown_precision": ("precision {precision!r}: use {choices}", "精度 {precision!r}：请使用 {choices}"),
    "int8_cpu_only": ("precision int8 runs on the CPU only, not on {device}: use auto, bf16, fp16 or fp32 there",
                      "int8 精度只能在 CPU 上运行，不能在 {device} 上：请在那里使用 auto、bf16、fp16 或 fp32"),
    "fp16_gpu_only": ("precision fp16 runs on a GPU only: on the CPU use auto, bf16, int8 or fp32",
                      "fp16 精度只能在 GPU 上运行：在 CPU 上请使用 auto、bf16、int8 或 fp32"),
    "reads_no_text": ("{label} reads no text: its texts are searched by their words", "{label} 不能理解文字：文字按关键词搜索"),
    "fault": ("{kind}: {detail}", "{kind}：{detail}"),
    "encoder_gone": ("the encoder's process ended before it answered (see the lines above)",
                     "编码器进程在回答前就结束了（见上面的输出）"),
    "demo_only": ("line {line}: product {id!r} is not in the demo catalog. demo-world is trained only on the demo "
                  "catalog's drawings and is never used for another catalog: choose the fast, quality, multilingual "
                  "or offline model", "第 {line} 行：商品 {id!r} 不在演示目录中。demo-world 只用演示目录的图画训练，"
                  "从不用于其他目录：请选择 fast、quality、multilingual 或 offline 模型"),
    # --- settings ---
    "setting_range": ("{name} = {value:g} cannot be used: it must be {bounds} ({env}, or {flag} where a command takes "
                      "it)", "{name} = {value:g} 不能使用：它必须{bounds}（{env}，或命令接受时的 {flag}）"),
    "setting_choice": ("{name} = {value!r} cannot be used: it takes one of {choices} ({env})",
                       "{name} = {value!r} 无法使用：只能是 {choices} 之一（{env}）"),
    "setting_type": ("{env}={raw!r} is not a valid {kind}", "{env}={raw!r} 不是有效的 {kind}"),
    "saved_unreadable": ("{path}: saved settings are unreadable ({detail}); fix or delete the file",
                         "{path}：保存的设置无法读取（{detail}）；请修正或删除该文件"),
    "not_savable": ("cannot save {names}: only {savable} can be saved", "不能保存 {names}：只能保存 {savable}"),
    "bad_rate": ("the search limit per {kind} {text!r} is not a rate such as '30/minute' or '500/hour'",
                 "每个{kind}的搜索上限 {text!r} 不是 '30/minute' 或 '500/hour' 这样的频率"),
    # --- the store ---
    "no_store": ("there is no store at {location}: index a catalog into it first", "{location} 没有存储：请先导入目录"),
    "store_other_model": ("the store {location} holds {held}, nothing of {model}: name the model it was built with "
                          "(--model)", "存储 {location} 中是 {held}，没有 {model} 的内容：请指定建立它时用的模型（--model）"),
    "server_address": ("{text}: a server address needs two slashes after http: (it was given to Path(), which folds "
                       "them); as a folder it would make a new, empty store",
                       "{text}：服务器地址在 http: 后需要两个斜杠（它被交给了 Path()，斜杠被合并）；作为文件夹它会建立一个新的空存储"),
    "schema_version": ("collection {name!r} in {location} has schema version {found}, this program reads version "
                       "{wanted}: index the catalog again into a new store",
                       "{location} 中的集合 {name!r} 的结构版本是 {found}，本程序读取版本 {wanted}：请把目录重新导入新的存储"),
    "collection_other_model": ("collection {name!r} in {location} was built with {built}, not with {wanted}: use the "
                               "model it was built with, or index into another collection or store",
                               "{location} 中的集合 {name!r} 是用 {built} 建立的，不是 {wanted}：请使用建立它时的模型，"
                               "或导入另一个集合或存储"),
    "store_other_space": ("the store {location} was built with {built}, not with {wanted}: search with the model it "
                          "was built with, or index the catalog with this model first",
                          "存储 {location} 是用 {built} 建立的，不是 {wanted}：请用建立它时的模型搜索，或先用这个模型导入目录"),
    "store_busy": ("the store {folder} is being written by another process ({holder}): wait until it finishes or stop "
                   "it; for several writing processes, run a Chroma server (README, 'Beyond one machine')",
                   "存储 {folder} 正被另一个进程写入（{holder}）：请等它完成或停止它；需要多个写入进程时，"
                   "请运行 Chroma 服务器（README「Beyond one machine」）"),
    # --- a merchant's feed ---
    "text_control": ("{name} contains control characters", "{name} 含有控制字符"),
    "text_too_long": ("{name} is {length} characters long (limit {limit})", "{name} 长 {length} 个字符（上限 {limit}）"),
    "field_missing": ("{name} is missing", "缺少 {name}"),
    "image_missing": ("image is missing (a feed without an image column needs --map image=COLUMN, or --image-pattern "
                      "'images/{{id}}.jpg' for pictures named by id)",
                      "缺少图片（没有图片列的目录需要 --map image=列名，或用 --image-pattern 'images/{{id}}.jpg' "
                      "按编号命名图片）"),
    "id_invalid": ("id {id!r} must be 1-128 characters without control characters", "编号 {id!r} 必须是 1-128 个字符，不含控制字符"),
    "price_not_number": ("price {value!r} is not a number", "价格 {value!r} 不是数字"),
    "price_invalid": ("price {price} must be a finite number of at least 0", "价格 {price} 必须是不小于 0 的有限数字"),
    "currency_unknown": ("currency {code!r} is not a known ISO 4217 code", "货币 {code!r} 不是已知的 ISO 4217 代码"),
    "not_yes_no": ("{name} {value!r} is not yes/no", "{name} {value!r} 不是 是/否"),
    "map_pair": ("--map {pair!r}: write it as FIELD=COLUMN, e.g. title=productDisplayName",
                 "--map {pair!r}：请写成 字段=列名，例如 title=productDisplayName"),
    "feed_zip": ("feed {path} is a zip file (an Excel workbook?): export it as CSV",
                 "目录文件 {path} 是 zip 文件（Excel 工作簿？）：请导出为 CSV"),
    "feed_missing": ("feed {path} does not exist", "目录文件 {path} 不存在"),
    "feed_empty": ("feed {path} is empty", "目录文件 {path} 是空的"),
    "feed_format": ("unknown feed format {format!r}; known: {known}", "未知的目录格式 {format!r}；已知：{known}"),
    "pattern_value": ("--image-pattern names {{{name}}}, which this row has no value for",
                      "--image-pattern 用到 {{{name}}}，但这一行没有它的值"),
    "image_url_scheme": ("image {image!r}: only http(s) image URLs are allowed, not {scheme}:",
                         "图片 {image!r}：只允许 http(s) 图片网址，不允许 {scheme}:"),
    "image_url_host": ("image {image!r}: the URL has no host", "图片 {image!r}：网址没有主机名"),
    "image_outside": ("image {image!r}: the path leaves the images folder {root}", "图片 {image!r}：路径超出了图片文件夹 {root}"),
    "row_unparsable": ("cannot be parsed ({detail})", "无法解析（{detail}）"),
    "row_fields": ("has {found} fields, the header has {wanted} (an unquoted comma or a missing field?)",
                   "有 {found} 个字段，表头有 {wanted} 个（没加引号的逗号，或缺了字段？）"),
    "xml_broken": ("XML cannot be read past here ({detail})", "XML 从这里起无法读取（{detail}）"),
    "not_json": ("is not valid JSON ({detail})", "不是有效的 JSON（{detail}）"),
    "not_json_object": ("is not a JSON object", "不是 JSON 对象"),
    "no_title": ("no row of this handle has a Title", "这个 handle 没有一行有 Title"),
    "not_active": ("status is {status!r}: only active products are for sale", "状态是 {status!r}：只有 active 的商品在售"),
    "no_price": ("has no variant with a price", "没有带价格的款式"),
    "duplicate_id": ("duplicate id, first on line {first}", "编号重复，首次出现在第 {first} 行"),
    "unreadable_file": ("cannot read the picture ({detail})", "无法读取图片（{detail}）"),
    "picture_left_out": ("picture {number} of {count} ({image}) is left out: {problem}; the product is indexed with "
                         "its other pictures", "第 {number} 张图片（共 {count} 张，{image}）未收录：{problem}；"
                         "商品以其余图片收录"),
    "no_picture_readable": ("not one of its {count} pictures can be read (the first: {problem})",
                            "{count} 张图片没有一张能读取（第一张：{problem}）"),
    "too_many_pictures": ("has {count} pictures: the first {limit} are indexed (setting max_pictures, "
                          "PRODUCT_SEARCH_MAX_PICTURES)", "有 {count} 张图片：只收录前 {limit} 张（设置 max_pictures，"
                          "PRODUCT_SEARCH_MAX_PICTURES）"),
    "labels_row": ("{file}, line {line}: needs an image or a text, and relevant_ids or a relevant_category",
                   "{file} 第 {line} 行：需要图片或文字，以及 relevant_ids 或 relevant_category"),
    "in_feed": ("{feed}: {problem}", "{feed}：{problem}"),
    # --- the product team's loop ---
    "no_labels": ("choose a labels CSV first (image, text, relevant_ids, relevant_category)",
                  "请先选择标注 CSV（image、text、relevant_ids、relevant_category）"),
    "labels_empty": ("{file} holds no labelled query", "{file} 中没有标注查询"),
    "labels_too_many": ("{file} holds {count} labelled queries: at most {most} are evaluated here; split it, or use "
                        "`search eval`", "{file} 有 {count} 条标注查询：这里最多评估 {most} 条；请拆分，或使用 "
                        "`search eval`"),
    "labels_zip": ("{file} is not a zip that can be read ({detail})", "{file} 不是可读取的 zip（{detail}）"),
    "labels_zip_too_big": ("{file} unpacks to more than {most_gb} GB", "{file} 解压后超过 {most_gb} GB"),
    "labels_photo": ("{file}, line {line}: {problem}", "{file} 第 {line} 行：{problem}"),
    "bad_day": ("{field} must be a day written as YYYY-MM-DD, not {value!r}",
                "{field} 必须是 YYYY-MM-DD 格式的日期，而不是 {value!r}"),
    "days_reversed": ("the first day ({first}) is after the last ({last})", "起始日（{first}）晚于结束日（{last}）"),
    "too_many_days": ("at most {most} days at once, not {days}", "一次最多 {most} 天，而不是 {days} 天"),
    "nothing_to_confirm": ("no new model is waiting: re-index with a preset first",
                           "没有等待启用的新模型：请先用一个预设重新索引"),
    "store_full": ("the disk holding the store {location} is full ({detail}): free some space and run it again; what "
                   "was written before is kept, and a run of the same feed goes on from there",
                   "存储 {location} 所在的磁盘已满（{detail}）：请腾出空间后再运行；之前写入的内容都在，再次运行同一目录会从那里继续"),
    "store_read_only": ("the store {location} cannot be written ({detail}): give this user write access to it, or "
                        "mount it read-write", "存储 {location} 无法写入（{detail}）：请给当前用户写权限，或以读写方式挂载"),
    "store_newer": ("collection {name!r} in {location} was written by a later version of this program (row layout "
                    "{found}; this one reads up to {wanted}): run that version, or restore a backup taken by this "
                    "one (`python -m search restore BACKUP`) into another store",
                    "{location} 中的集合 {name!r} 由本程序的更新版本写入（行结构 {found}；本版本最多读取 {wanted}）：请使用"
                    "那个版本，或把本版本做的备份恢复到另一个存储（`python -m search restore BACKUP`）"),
    "store_damaged": ("the store {location} is damaged ({detail}): `python -m search check` says what; restore a "
                      "backup (`python -m search restore BACKUP`), or move the store aside and index the catalog "
                      "feed again", "存储 {location} 已损坏（{detail}）：`python -m search check` 会说明问题；请恢复备份"
                      "（`python -m search restore BACKUP`），或把存储移开后重新导入商品目录"),
    "backup_exists": ("{path} exists already: a backup goes into a new folder", "{path} 已存在：备份要写入新的文件夹"),
    "backup_damaged": ("the backup {path} is damaged ({detail}): nothing was restored; use another backup",
                       "备份 {path} 已损坏（{detail}）：没有恢复任何内容；请使用另一个备份"),
    "restore_not_empty": ("the store {location} holds {products} products already: restore into a new store folder "
                          "(`--store`), or move this one aside", "存储 {location} 已有 {products} 件商品：请恢复到新的存储"
                          "文件夹（`--store`），或把它移开"),
    "stopping": ("the shop is restarting: search again in a few seconds", "商店正在重启：请几秒后再搜索"),
    "already_serving": ("{preset} is the model serving now: choose another preset to compare it with",
                        "{preset} 就是当前正在服务的模型：请选择另一个预设来比较"),
    "no_previous": ("there is no previous model to roll back to or remove", "没有可回滚或删除的之前模型"),
    # --- an admin's actions ---
    "admin_off": ("admin actions are off: set PRODUCT_SEARCH_ADMIN_PASSWORD to turn them on",
                  "管理操作已关闭：设置 PRODUCT_SEARCH_ADMIN_PASSWORD 即可开启"),
    "wrong_password": ("wrong admin password", "管理员密码错误"),
    "no_feed": ("choose a feed file first", "请先选择目录文件"),
    "no_images_folder": ("images folder {root} does not exist on the server", "服务器上不存在图片文件夹 {root}"),
    "no_ids": ("give one or more product ids, one per line or separated by commas", "请给出一个或多个商品编号，每行一个或用逗号分隔"),
    "unknown_preset": ("unknown preset {preset!r}: choose one of {presets}", "未知预设 {preset!r}：请从 {presets} 中选择"),
    "preset_unavailable": ("the {preset} model's weights cannot be loaded here, so nothing was changed",
                           "这里无法载入 {preset} 模型的权重，所以没有做任何更改"),
}


def word(code: str, lang: str, values: Mapping[str, object]) -> str:
    """Problem `code` in `lang` (Chinese for "zh-CN", English for anything else), its values filled in."""
    english, chinese = PROBLEMS[code]
    return (chinese if lang == CHINESE else english).format(**values)


def fields(template: str) -> set[str]:
    """The names of the values a problem's words fill in."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}
