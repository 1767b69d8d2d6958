<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DateRangeDialog</name>
    <message>
        <source>Custom date range</source>
        <translation>自定义日期范围</translation>
    </message>
    <message>
        <source>From</source>
        <translation>开始日期</translation>
    </message>
    <message>
        <source>To</source>
        <translation>结束日期</translation>
    </message>
    <message>
        <source>&amp;From:</source>
        <translation>开始日期(&amp;F)：</translation>
    </message>
    <message>
        <source>&amp;To:</source>
        <translation>结束日期(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>DateScrubber</name>
    <message>
        <source>Scroll through the dates</source>
        <translation>按日期快速滚动</translation>
    </message>
</context>
<context>
    <name>DetailsView</name>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Taken</source>
        <translation>拍摄时间</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>录制时间</translation>
    </message>
    <message>
        <source>Place</source>
        <translation>地点</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>相机</translation>
    </message>
    <message>
        <source>Modified</source>
        <translation>修改时间</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Spoken language</source>
        <translation>语音语言</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
</context>
<context>
    <name>DuplicatesView</name>
    <message>
        <source>Duplicates found</source>
        <translation>找到的重复项</translation>
    </message>
    <message>
        <source>Find again</source>
        <translation>重新查找</translation>
    </message>
    <message>
        <source>Groups of duplicates</source>
        <translation>重复项分组</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Modified</source>
        <translation>修改时间</translation>
    </message>
    <message>
        <source>Show the others in the file manager</source>
        <translation>在文件管理器中显示其他文件</translation>
    </message>
    <message>
        <source>Check the files to keep. Trove never deletes files: remove the others in the file manager if you wish.</source>
        <translation>勾选要保留的文件。Trove 从不删除文件：如有需要，请在文件管理器中自行删除其他文件。</translation>
    </message>
    <message>
        <source>Looking for duplicates…</source>
        <translation>正在查找重复项…</translation>
    </message>
    <message>
        <source>One group of duplicates</source>
        <translation>1 组重复项</translation>
    </message>
    <message numerus="yes">
        <source>%n groups of duplicates</source>
        <translation>
            <numerusform>%n 组重复项</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n files</source>
        <translation>
            <numerusform>%n 个文件</numerusform>
        </translation>
    </message>
    <message>
        <source>No duplicates found.</source>
        <translation>未找到重复项。</translation>
    </message>
    <message>
        <source>Space the others take</source>
        <translation>其他文件占用的空间</translation>
    </message>
    <message numerus="yes">
        <source>%n photos</source>
        <translation>
            <numerusform>%n 张照片</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n recordings</source>
        <translation>
            <numerusform>%n 段录音</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n videos</source>
        <translation>
            <numerusform>%n 个视频</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n notes</source>
        <translation>
            <numerusform>%n 篇笔记</numerusform>
        </translation>
    </message>
    <message>
        <source>exact copies</source>
        <translation>完全相同的副本</translation>
    </message>
    <message>
        <source>sound the same</source>
        <translation>听起来相同</translation>
    </message>
    <message>
        <source>look the same</source>
        <translation>看起来相同</translation>
    </message>
</context>
<context>
    <name>ExampleChip</name>
    <message>
        <source>Stop searching with this file</source>
        <translation>不再用此文件搜索</translation>
    </message>
    <message>
        <source>Similar to the pasted picture</source>
        <translation>与粘贴的图片相似</translation>
    </message>
</context>
<context>
    <name>FoldersDialog</name>
    <message>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Trove watches these folders and keeps its index of them up to date. Removing a folder only forgets its index: your files are not touched.</source>
        <translation>Trove 会关注这些文件夹，并让它们的索引保持最新。移除文件夹只会删除它的索引，不会动你的文件。</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Watched folders</source>
        <translation>关注的文件夹</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Leave out of this folder</source>
        <translation>在此文件夹中排除</translation>
    </message>
    <message>
        <source>One pattern per line. A pattern matches a file or folder name, or a path inside the folder; * matches anything. Examples: node_modules (that folder, wherever it is), *.tmp (every .tmp file), */node_modules/*, Raw/*</source>
        <translation>每行一个规则。规则可匹配文件名或文件夹名，也可匹配文件夹内的路径；* 匹配任意内容。例如：node_modules（该文件夹，无论位于何处）、*.tmp（所有 .tmp 文件）、*/node_modules/*、Raw/*</translation>
    </message>
    <message>
        <source>Patterns to leave out</source>
        <translation>要排除的规则</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Trove skipped these files. A file is tried again when it changes; a damaged file may open in another program and be saved again.</source>
        <translation>Trove 跳过了这些文件。文件发生变化时会重新尝试；损坏的文件也许能在其他程序中打开并重新保存。</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Files that could not be read</source>
        <translation>无法读取的文件</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the selected rows (or all) as text</source>
        <translation>将选中的行（或全部）复制为文本</translation>
    </message>
    <message>
        <source>Choose a folder to watch</source>
        <translation>选择要关注的文件夹</translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation>移除文件夹</translation>
    </message>
    <message>
        <source>Stop watching {folder}?

Trove forgets what it learned about the files in it. The files themselves are not touched.</source>
        <translation>停止关注 {folder}？

Trove 会忘记它从其中文件了解到的内容。文件本身不会被改动。</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Saved; looking through the folder again.</source>
        <translation>已保存；正在重新查看该文件夹。</translation>
    </message>
    <message>
        <source>{indexed} files searchable, {pending} waiting, {failed} could not be read</source>
        <translation>{indexed} 个文件可搜索，{pending} 个等待中，{failed} 个无法读取</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>可访问</translation>
    </message>
    <message>
        <source>Offline: not reachable now</source>
        <translation>离线：目前无法访问</translation>
    </message>
    <message>
        <source>Files that could not be read ({count})</source>
        <translation>无法读取的文件（{count}）</translation>
    </message>
    <message>
        <source>Leave out of {folder}</source>
        <translation>在 {folder} 中排除</translation>
    </message>
</context>
<context>
    <name>ImageView</name>
    <message>
        <source>Picture</source>
        <translation>图片</translation>
    </message>
    <message>
        <source>The words that matched are marked on the picture.</source>
        <translation>图中已标出匹配的文字。</translation>
    </message>
</context>
<context>
    <name>Languages</name>
    <message>
        <source>Arabic</source>
        <translation>阿拉伯语</translation>
    </message>
    <message>
        <source>German</source>
        <translation>德语</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英语</translation>
    </message>
    <message>
        <source>Spanish</source>
        <translation>西班牙语</translation>
    </message>
    <message>
        <source>French</source>
        <translation>法语</translation>
    </message>
    <message>
        <source>Italian</source>
        <translation>意大利语</translation>
    </message>
    <message>
        <source>Japanese</source>
        <translation>日语</translation>
    </message>
    <message>
        <source>Korean</source>
        <translation>韩语</translation>
    </message>
    <message>
        <source>Dutch</source>
        <translation>荷兰语</translation>
    </message>
    <message>
        <source>Polish</source>
        <translation>波兰语</translation>
    </message>
    <message>
        <source>Portuguese</source>
        <translation>葡萄牙语</translation>
    </message>
    <message>
        <source>Russian</source>
        <translation>俄语</translation>
    </message>
    <message>
        <source>Thai</source>
        <translation>泰语</translation>
    </message>
    <message>
        <source>Turkish</source>
        <translation>土耳其语</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
</context>
<context>
    <name>Library</name>
    <message>
        <source>MMMM yyyy</source>
        <translation>yyyy&apos;年&apos;M&apos;月&apos;</translation>
    </message>
</context>
<context>
    <name>LibraryBar</name>
    <message>
        <source>1 result</source>
        <translation>1 个结果</translation>
    </message>
    <message>
        <source>{n} results</source>
        <translation>{n} 个结果</translation>
    </message>
    <message>
        <source>1 item</source>
        <translation>1 项</translation>
    </message>
    <message>
        <source>{n} items</source>
        <translation>{n} 项</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Videos</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>笔记</translation>
    </message>
    <message>
        <source>By day</source>
        <translation>按日</translation>
    </message>
    <message>
        <source>By month</source>
        <translation>按月</translation>
    </message>
    <message>
        <source>By year</source>
        <translation>按年</translation>
    </message>
    <message>
        <source>Group the library</source>
        <translation>资料库分组方式</translation>
    </message>
    <message>
        <source>Tile size</source>
        <translation>缩略图大小</translation>
    </message>
    <message>
        <source>Kind of file</source>
        <translation>文件类型</translation>
    </message>
    <message>
        <source>Number of items</source>
        <translation>项目数量</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Up to date</source>
        <translation>已是最新</translation>
    </message>
    <message>
        <source>Looking for changes…</source>
        <translation>正在检查更改…</translation>
    </message>
    <message>
        <source>Indexing paused: {done}/{total} files</source>
        <translation>索引已暂停：{done}/{total} 个文件</translation>
    </message>
    <message>
        <source>Indexing stopped</source>
        <translation>索引已停止</translation>
    </message>
    <message>
        <source>Indexing: {done}/{total} files</source>
        <translation>正在索引：{done}/{total} 个文件</translation>
    </message>
    <message>
        <source>, {rate:.1f} files/s</source>
        <translation>，{rate:.1f} 个文件/秒</translation>
    </message>
    <message>
        <source>, about {seconds} s left</source>
        <translation>，约剩 {seconds} 秒</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Type to search, or drop a file to find things like it.</source>
        <translation>输入文字即可搜索，或拖入一个文件来查找与它相似的内容。</translation>
    </message>
    <message>
        <source>Search status</source>
        <translation>搜索状态</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation>重复项</translation>
    </message>
    <message>
        <source>Path copied</source>
        <translation>已复制路径</translation>
    </message>
    <message>
        <source>Opening…</source>
        <translation>正在打开…</translation>
    </message>
    <message>
        <source>Indexing status</source>
        <translation>索引状态</translation>
    </message>
    <message>
        <source>Files that could not be read</source>
        <translation>无法读取的文件</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Add a folder…</source>
        <translation>添加文件夹(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Folders and exclusions…</source>
        <translation>文件夹和排除规则(&amp;F)…</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>偏好设置(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>搜索(&amp;S)</translation>
    </message>
    <message>
        <source>Search with the &amp;pasted picture</source>
        <translation>用粘贴的图片搜索(&amp;P)</translation>
    </message>
    <message>
        <source>Clear &amp;filters</source>
        <translation>清除筛选(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Result</source>
        <translation>结果(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <source>Show in &amp;folder</source>
        <translation>在文件夹中显示(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Copy path</source>
        <translation>复制路径(&amp;C)</translation>
    </message>
    <message>
        <source>Find &amp;similar</source>
        <translation>查找相似文件(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Next result</source>
        <translation>下一个结果(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Previous result</source>
        <translation>上一个结果(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Indexing</source>
        <translation>索引(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Pause indexing</source>
        <translation>暂停索引(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Files that could not be read…</source>
        <translation>无法读取的文件(&amp;F)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About Trove</source>
        <translation>关于 Trove(&amp;A)</translation>
    </message>
    <message>
        <source>No good match</source>
        <translation>没有合适的匹配结果</translation>
    </message>
    <message>
        <source>No file matches these filters</source>
        <translation>没有文件符合这些筛选条件</translation>
    </message>
    <message>
        <source>The shared library {library} cannot be searched now; this computer&apos;s files still are.</source>
        <translation>共享资料库 {library} 暂时无法搜索；本机的文件仍可搜索。</translation>
    </message>
    <message>
        <source>Trove&apos;s index was readable by other accounts on this computer ({n} files and folders); it is private to you now.</source>
        <translation>此电脑上的其他账户曾可以读取 Trove 的索引（{n} 个文件和文件夹）；现在它只对您可见。</translation>
    </message>
    <message>
        <source>Trove&apos;s index is damaged</source>
        <translation>Trove 的索引已损坏</translation>
    </message>
    <message>
        <source>Trove&apos;s index is damaged and was set aside.</source>
        <translation>Trove 的索引已损坏，已被移到一旁。</translation>
    </message>
    <message>
        <source>Your files were not touched. Repair rebuilds the index from its latest backup and from what can still be read, then looks through your folders again for the rest.</source>
        <translation>您的文件未被改动。修复会根据最近的备份和仍可读取的内容重建索引，然后重新查看您的文件夹，补上其余部分。</translation>
    </message>
    <message>
        <source>Repair</source>
        <translation>修复</translation>
    </message>
    <message>
        <source>Not now</source>
        <translation>暂不</translation>
    </message>
    <message>
        <source>The index is damaged</source>
        <translation>索引已损坏</translation>
    </message>
    <message>
        <source>Repairing the index…</source>
        <translation>正在修复索引…</translation>
    </message>
    <message>
        <source>The index was repaired</source>
        <translation>索引已修复</translation>
    </message>
    <message>
        <source>Could not keep the pasted picture</source>
        <translation>无法保存粘贴的图片</translation>
    </message>
    <message>
        <source>1 file could not be read</source>
        <translation>1 个文件无法读取</translation>
    </message>
    <message>
        <source>{n} files could not be read</source>
        <translation>{n} 个文件无法读取</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Resume indexing</source>
        <translation>继续索引</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Pause indexing (searching still works)</source>
        <translation>暂停索引（仍可搜索）</translation>
    </message>
    <message>
        <source>&amp;Resume indexing</source>
        <translation>继续索引(&amp;R)</translation>
    </message>
    <message>
        <source>Choose a folder for Trove to look through</source>
        <translation>选择一个让 Trove 浏览的文件夹</translation>
    </message>
    <message>
        <source>Added {folder}: Trove is looking through it.</source>
        <translation>已添加 {folder}：Trove 正在浏览其中的文件。</translation>
    </message>
    <message>
        <source>Removed {folder}: its files were not touched.</source>
        <translation>已移除 {folder}：其中的文件未被改动。</translation>
    </message>
    <message>
        <source>Could not open: no application for {suffix} files.</source>
        <translation>无法打开：没有可打开 {suffix} 文件的应用程序。</translation>
    </message>
    <message>
        <source>Could not open {name}: no application for it.</source>
        <translation>无法打开 {name}：没有可打开它的应用程序。</translation>
    </message>
    <message>
        <source>Show in folder instead</source>
        <translation>改为在文件夹中显示</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>About Trove</source>
        <translation>关于 Trove</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Trove&lt;/h3&gt;&lt;p&gt;Finds your photos, recordings, videos and notes by what they show or say. Everything runs on this computer; nothing is sent anywhere.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Trove&lt;/h3&gt;&lt;p&gt;按画面或话语找到你的照片、录音、视频和笔记。一切都在这台电脑上运行，不会向任何地方发送任何内容。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>MediaPlayer</name>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>播放位置</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Cannot play this file: {reason}</source>
        <translation>无法播放此文件：{reason}</translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <source>The disk is full: Trove could not save its index.</source>
        <translation>磁盘已满：Trove 无法保存索引。</translation>
    </message>
    <message>
        <source>Free some space; indexing goes on by itself afterwards.</source>
        <translation>请腾出一些空间；之后索引会自动继续。</translation>
    </message>
    <message>
        <source>Trove cannot write its index folder.</source>
        <translation>Trove 无法写入它的索引文件夹。</translation>
    </message>
    <message>
        <source>Check that its folder can be written, then restart Trove.</source>
        <translation>请确认该文件夹可写，然后重新启动 Trove。</translation>
    </message>
    <message>
        <source>{folder} cannot be watched.</source>
        <translation>无法监视 {folder}。</translation>
    </message>
    <message>
        <source>Choose a folder that exists and is not inside Trove&apos;s own data.</source>
        <translation>请选择一个存在、且不在 Trove 自身数据中的文件夹。</translation>
    </message>
    <message>
        <source>{folder} is not watched.</source>
        <translation>{folder} 未被监视。</translation>
    </message>
    <message>
        <source>Open Folders and exclusions to see the folders Trove watches.</source>
        <translation>打开“文件夹与排除项”查看 Trove 监视的文件夹。</translation>
    </message>
    <message>
        <source>The system refused to watch {folder}.</source>
        <translation>系统拒绝监视 {folder}。</translation>
    </message>
    <message>
        <source>Trove looks through it for changes every few minutes.</source>
        <translation>Trove 会每隔几分钟检查其中的变化。</translation>
    </message>
    <message>
        <source>Trove&apos;s index is damaged and was set aside.</source>
        <translation>Trove 的索引已损坏，已被移到一旁。</translation>
    </message>
    <message>
        <source>Repair rebuilds it; your files were not touched.</source>
        <translation>修复会重建索引；您的文件没有被改动。</translation>
    </message>
    <message>
        <source>Trove could not open its index or its models.</source>
        <translation>Trove 无法打开它的索引或模型。</translation>
    </message>
    <message>
        <source>Check Preferences (search models, graphics chip), then try again.</source>
        <translation>请检查偏好设置（搜索模型、显卡），然后重试。</translation>
    </message>
    <message>
        <source>Something went wrong inside Trove.</source>
        <translation>Trove 内部出了问题。</translation>
    </message>
    <message>
        <source>Searching may still work; the log has the details for a bug report.</source>
        <translation>搜索可能仍然可用；日志中有可用于错误报告的详细信息。</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <source>Preferences</source>
        <translation>偏好设置</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>{device} (not available here)</source>
        <translation>{device}（此电脑上不可用）</translation>
    </message>
    <message>
        <source>Automatic uses a graphics card when one can be used, else the processor. A graphics card needs the matching ONNX Runtime: onnxruntime-gpu for NVIDIA (CUDA), onnxruntime-directml on Windows, onnxruntime-openvino for Intel.</source>
        <translation>“自动”会在可用时使用显卡，否则使用处理器。使用显卡需要对应的 ONNX Runtime：NVIDIA（CUDA）用 onnxruntime-gpu，Windows 上用 onnxruntime-directml，Intel 用 onnxruntime-openvino。</translation>
    </message>
    <message>
        <source>Use the graphics chip</source>
        <translation>使用显卡</translation>
    </message>
    <message>
        <source>Faster indexing where this computer has a graphics chip Trove can use</source>
        <translation>如果这台电脑有 Trove 可用的显卡，索引会更快</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Shared libraries</source>
        <translation>共享资料库</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Languages spoken in your recordings</source>
        <translation>录音中所说的语言</translation>
    </message>
    <message>
        <source>Short recordings are heard in one of these. A recording clearly in another language is still heard in its own.</source>
        <translation>短录音会按其中一种语言来听。明显是其他语言的录音，仍按它本身的语言来听。</translation>
    </message>
    <message>
        <source>Spoken in your recordings:</source>
        <translation>录音中的语言：</translation>
    </message>
    <message>
        <source>Shared libraries:</source>
        <translation>共享资料库：</translation>
    </message>
    <message>
        <source>The search models that came with Trove.</source>
        <translation>Trove 自带的搜索模型。</translation>
    </message>
    <message>
        <source>{library}, its {there} as {here}</source>
        <translation>{library}，其 {there} 对应本机的 {here}</translation>
    </message>
    <message>
        <source>Model pack:</source>
        <translation>模型包：</translation>
    </message>
    <message>
        <source>Device:</source>
        <translation>设备：</translation>
    </message>
    <message>
        <source>Threads:</source>
        <translation>线程数：</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>主题：</translation>
    </message>
    <message>
        <source>The ones that came with Trove</source>
        <translation>Trove 自带的模型</translation>
    </message>
    <message>
        <source>Folder of the search models</source>
        <translation>搜索模型所在的文件夹</translation>
    </message>
    <message>
        <source>Search models:</source>
        <translation>搜索模型：</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详细信息</translation>
    </message>
    <message>
        <source>Processor (CPU)</source>
        <translation>处理器（CPU）</translation>
    </message>
    <message>
        <source>NVIDIA graphics card (CUDA)</source>
        <translation>NVIDIA 显卡（CUDA）</translation>
    </message>
    <message>
        <source>Graphics card (DirectML)</source>
        <translation>显卡（DirectML）</translation>
    </message>
    <message>
        <source>Apple Neural Engine and GPU (Core ML)</source>
        <translation>Apple 神经网络引擎和 GPU（Core ML）</translation>
    </message>
    <message>
        <source>Intel (OpenVINO)</source>
        <translation>Intel（OpenVINO）</translation>
    </message>
    <message>
        <source>Choose a model pack folder</source>
        <translation>选择模型包文件夹</translation>
    </message>
    <message>
        <source>This folder is not a model pack: it has no {name}.</source>
        <translation>此文件夹不是模型包：其中没有 {name}。</translation>
    </message>
    <message>
        <source>{name} {version}: {models}</source>
        <translation>{name} {version}：{models}</translation>
    </message>
</context>
<context>
    <name>PreviewPane</name>
    <message>
        <source>Photo</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>笔记</translation>
    </message>
    <message>
        <source>File name</source>
        <translation>文件名</translation>
    </message>
    <message>
        <source>Preview status</source>
        <translation>预览状态</translation>
    </message>
    <message>
        <source>Transcript</source>
        <translation>文字记录</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Open with the default app</source>
        <translation>用默认应用打开</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Show the file selected in its folder</source>
        <translation>在所在文件夹中显示并选中该文件</translation>
    </message>
    <message>
        <source>Copy path</source>
        <translation>复制路径</translation>
    </message>
    <message>
        <source>Copy the file&apos;s full path</source>
        <translation>复制文件的完整路径</translation>
    </message>
    <message>
        <source>Find similar</source>
        <translation>查找相似文件</translation>
    </message>
    <message>
        <source>Search for files that look or sound like this one</source>
        <translation>搜索外观或声音与此文件相似的文件</translation>
    </message>
    <message>
        <source>Pick a result to see it here.</source>
        <translation>选择一个结果，即可在此查看。</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>Cannot show this picture: {reason}</source>
        <translation>无法显示此图片：{reason}</translation>
    </message>
    <message>
        <source>Cannot read this note: {reason}</source>
        <translation>无法读取此笔记：{reason}</translation>
    </message>
    <message>
        <source>Not in the index (moved or deleted?)</source>
        <translation>不在索引中（已被移动或删除？）</translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation>未知错误</translation>
    </message>
    <message>
        <source>Could not be read: {reason}</source>
        <translation>无法读取：{reason}</translation>
    </message>
    <message>
        <source>Missing: its folder is offline</source>
        <translation>缺失：所在文件夹处于离线状态</translation>
    </message>
    <message>
        <source>Not indexed yet</source>
        <translation>尚未编入索引</translation>
    </message>
    <message>
        <source>Click to play from here</source>
        <translation>点击从此处播放</translation>
    </message>
</context>
<context>
    <name>RangeChooser</name>
    <message>
        <source>Start of the part to search with</source>
        <translation>用于搜索的片段的起点</translation>
    </message>
    <message>
        <source>End of the part to search with</source>
        <translation>用于搜索的片段的终点</translation>
    </message>
    <message>
        <source>Around here</source>
        <translation>此处前后</translation>
    </message>
    <message>
        <source>Choose the part around the playhead</source>
        <translation>选择播放位置前后的片段</translation>
    </message>
    <message>
        <source>Choose from {seconds} s before to {seconds} s after the position</source>
        <translation>选择当前位置前 {seconds} 秒至后 {seconds} 秒</translation>
    </message>
    <message>
        <source>Search with this part</source>
        <translation>用此片段搜索</translation>
    </message>
    <message>
        <source>Find other files that sound or look like this part</source>
        <translation>查找声音或画面与此片段相似的其他文件</translation>
    </message>
    <message>
        <source>&amp;From</source>
        <translation>从(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;to</source>
        <translation>到(&amp;T)</translation>
    </message>
</context>
<context>
    <name>ResultDelegate</name>
    <message>
        <source>at {time}</source>
        <translation>于 {time}</translation>
    </message>
    <message>
        <source>in the picture: “{words}”</source>
        <translation>图中文字：“{words}”</translation>
    </message>
    <message>
        <source>name: {name}</source>
        <translation>文件名：{name}</translation>
    </message>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} 秒</translation>
    </message>
    <message>
        <source>tag: {label}</source>
        <translation>标签：{label}</translation>
    </message>
    <message>
        <source>tag: {label} ({percent})</source>
        <translation>标签：{label}（{percent}）</translation>
    </message>
    <message>
        <source>shows: {things}</source>
        <translation>画面：{things}</translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the names in a list: 、 in Chinese</comment>
        <translation>、</translation>
    </message>
    <message>
        <source>sounds like “{words}”</source>
        <translation>听起来像“{words}”</translation>
    </message>
    <message>
        <source>looks like “{words}”</source>
        <translation>看起来像“{words}”</translation>
    </message>
    <message>
        <source>sounds like {what}</source>
        <translation>听起来像 {what}</translation>
    </message>
    <message>
        <source>sounds similar</source>
        <translation>声音相似</translation>
    </message>
    <message>
        <source>From the shared library {library}</source>
        <translation>来自共享资料库 {library}</translation>
    </message>
    <message>
        <source>looks like {what}</source>
        <translation>看起来像 {what}</translation>
    </message>
    <message>
        <source>looks similar</source>
        <translation>外观相似</translation>
    </message>
</context>
<context>
    <name>ResultsModel</name>
    <message>
        <source>Photo</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>笔记</translation>
    </message>
    <message>
        <source>Strong match</source>
        <translation>强匹配</translation>
    </message>
    <message>
        <source>Good match</source>
        <translation>良好匹配</translation>
    </message>
    <message>
        <source>Weak match</source>
        <translation>弱匹配</translation>
    </message>
    <message>
        <source>Best matches</source>
        <translation>最佳匹配</translation>
    </message>
    <message>
        <source>No good match</source>
        <translation>没有合适的匹配结果</translation>
    </message>
    <message>
        <source>Other possible matches</source>
        <translation>其他可能的匹配</translation>
    </message>
</context>
<context>
    <name>SearchBar</name>
    <message>
        <source>Any folder</source>
        <translation>任意文件夹</translation>
    </message>
    <message>
        <source>Trove cannot read this search. Try plain words, like “dog on a beach”.</source>
        <translation>Trove 无法理解这个搜索。请试试简单的词语，比如“海滩上的狗”。</translation>
    </message>
    <message>
        <source>A quotation mark is not closed: add the closing one, or remove it.</source>
        <translation>有一个引号没有闭合：请补上另一半引号，或者删掉它。</translation>
    </message>
    <message>
        <source>A + or − needs something after it: add a word, or remove the sign.</source>
        <translation>+ 或 − 后面需要有内容：请加上一个词，或者删掉这个符号。</translation>
    </message>
    <message>
        <source>A weight is a positive number and a * before a word, as in 2*dog.</source>
        <translation>权重是写在词前面的正数加 *，例如 2*dog。</translation>
    </message>
    <message>
        <source>The quotation marks hold nothing: type words between them, or remove them.</source>
        <translation>引号里什么也没有：请在引号中输入词语，或者删掉引号。</translation>
    </message>
    <message>
        <source>kind: takes photo, audio, video or note; or use the buttons below the box.</source>
        <translation>kind: 后面可以写 photo、audio、video 或 note；也可以使用搜索框下方的按钮。</translation>
    </message>
    <message>
        <source>Write a date as year-month-day, as in after:2024-05-01, or use the date filter.</source>
        <translation>日期请写成 年-月-日，例如 after:2024-05-01，或者使用日期筛选。</translation>
    </message>
    <message>
        <source>Write a size as a number and a unit, as in size&gt;10MB.</source>
        <translation>大小请写成数字加单位，例如 size&gt;10MB。</translation>
    </message>
    <message>
        <source>Write a part as start-end in minutes:seconds, as in 0:12-0:20, the end last.</source>
        <translation>片段请写成 开始-结束（分:秒），例如 0:12-0:20，结束时间在后。</translation>
    </message>
    <message>
        <source>A filter cannot take a + , − or weight: remove the sign before it.</source>
        <translation>筛选条件前不能有 +、− 或权重：请删掉它前面的符号。</translation>
    </message>
    <message>
        <source>No such file. Check its name, or drop the file on the window.</source>
        <translation>找不到这个文件。请检查文件名，或者把文件拖到窗口上。</translation>
    </message>
    <message>
        <source>Name one town or country after place:, as in place:Lisbon.</source>
        <translation>在 place: 后面写一个城镇或国家的名字，例如 place:Lisbon。</translation>
    </message>
    <message>
        <source>Name a folder after in:, or choose one with the folder filter.</source>
        <translation>请在 in: 后面写上文件夹，或者用文件夹筛选选择一个。</translation>
    </message>
    <message>
        <source>This file cannot be used to search with. Try another one.</source>
        <translation>这个文件无法用来搜索。请换一个文件试试。</translation>
    </message>
    <message>
        <source>Type what you are looking for.</source>
        <translation>请输入你要找的内容。</translation>
    </message>
    <message>
        <source>Everything is subtracted: add something to look for, without a − before it.</source>
        <translation>所有内容都被减去了：请加上要找的内容，前面不要带 −。</translation>
    </message>
    <message>
        <source>{name} was not found. Check its name, or drop the file on the window.</source>
        <translation>找不到 {name}。请检查文件名，或者把文件拖到窗口上。</translation>
    </message>
    <message>
        <source>{name} cannot be used to search with. Try another file.</source>
        <translation>{name} 无法用来搜索。请换一个文件试试。</translation>
    </message>
    <message>
        <source>Similar to {name}</source>
        <translation>与 {name} 相似</translation>
    </message>
    <message>
        <source>Part of {name} from {start}</source>
        <translation>{name} 从 {start} 起的片段</translation>
    </message>
    <message>
        <source>Part of {name} {start}–{end}</source>
        <translation>{name} 的片段 {start}–{end}</translation>
    </message>
    <message>
        <source>Only results inside one watched folder</source>
        <translation>只显示某个关注文件夹中的结果</translation>
    </message>
    <message>
        <source>Any place</source>
        <translation>任意地点</translation>
    </message>
    <message>
        <source>Only photos and videos taken near one place</source>
        <translation>只显示在某个地点附近拍摄的照片和视频</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <source>Search photos, recordings, videos and notes — or drop a file</source>
        <translation>搜索照片、录音、视频和笔记，或拖入一个文件</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>笔记</translation>
    </message>
    <message>
        <source>Show only %1</source>
        <translation>只显示%1</translation>
    </message>
    <message>
        <source>Folder filter</source>
        <translation>文件夹筛选</translation>
    </message>
    <message>
        <source>Date filter</source>
        <translation>日期筛选</translation>
    </message>
    <message>
        <source>Place filter</source>
        <translation>地点筛选</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>任意时间</translation>
    </message>
    <message>
        <source>Past week</source>
        <translation>过去一周</translation>
    </message>
    <message>
        <source>Past month</source>
        <translation>过去一个月</translation>
    </message>
    <message>
        <source>Past year</source>
        <translation>过去一年</translation>
    </message>
    <message>
        <source>Custom range…</source>
        <translation>自定义范围…</translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation>清除筛选</translation>
    </message>
</context>
<context>
    <name>SharedLibraryDialog</name>
    <message>
        <source>Add a shared library</source>
        <translation>添加共享资料库</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Its folder on that computer</source>
        <translation>它在那台电脑上的文件夹</translation>
    </message>
    <message>
        <source>The same folder on this computer</source>
        <translation>本机上的同一文件夹</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Trove searches it along with this computer&apos;s files and never changes it. The computer that indexes it keeps it up to date.</source>
        <translation>Trove 会连同本机的文件一起搜索它，但从不修改它。由为它建立索引的那台电脑保持其更新。</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <source>Its folder there:</source>
        <translation>它在那边的文件夹：</translation>
    </message>
    <message>
        <source>The same folder here:</source>
        <translation>本机上的同一文件夹：</translation>
    </message>
</context>
<context>
    <name>Toast</name>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>WelcomeDialog</name>
    <message>
        <source>a cup of coffee</source>
        <translation>一杯咖啡</translation>
    </message>
    <message>
        <source>watering the tomato plants</source>
        <translation>去北京旅行</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Welcome to Trove</source>
        <translation>欢迎使用 Trove</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Find anything by describing it&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;描述一下，就能找到&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>Trove looks through your photos, recordings, videos and notes so you can find them by what they show or say: “{photo}”, “{recording}”, or a picture like this one.

Everything happens on this computer. Nothing you own is sent anywhere.

Which folders should Trove look through? You can search as soon as it starts; it keeps working in the background.</source>
        <translation>Trove 会浏览你的照片、录音、视频和笔记，让你按其中的画面或话语找到它们：“{photo}”、“{recording}”，或者一张与这张相似的图片。

一切都在这台电脑上进行。你的任何东西都不会被发送出去。

Trove 应该浏览哪些文件夹？它一开始工作你就可以搜索；它会在后台继续工作。</translation>
    </message>
    <message>
        <source>Try it on the demo:</source>
        <translation>在演示中试试：</translation>
    </message>
    <message>
        <source>“{query}”</source>
        <translation>“{query}”</translation>
    </message>
    <message>
        <source>Search the demo for {query}</source>
        <translation>在演示中搜索 {query}</translation>
    </message>
    <message>
        <source>Add another folder…</source>
        <translation>再添加一个文件夹…</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Just show me the demo</source>
        <translation>先看看演示</translation>
    </message>
    <message>
        <source>Choose a folder for Trove to look through</source>
        <translation>选择一个让 Trove 浏览的文件夹</translation>
    </message>
</context>
<context>
    <name>model</name>
    <message>
        <source>New</source>
        <translation>新</translation>
    </message>
</context>
</TS>
