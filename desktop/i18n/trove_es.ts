<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
<context>
    <name>DateRangeDialog</name>
    <message>
        <source>Custom date range</source>
        <translation>Rango de fechas personalizado</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Desde</translation>
    </message>
    <message>
        <source>To</source>
        <translation>Hasta</translation>
    </message>
    <message>
        <source>&amp;From:</source>
        <translation>&amp;Desde:</translation>
    </message>
    <message>
        <source>&amp;To:</source>
        <translation>&amp;Hasta:</translation>
    </message>
</context>
<context>
    <name>DateScrubber</name>
    <message>
        <source>Scroll through the dates</source>
        <translation>Recorrer las fechas</translation>
    </message>
</context>
<context>
    <name>DetailsView</name>
    <message>
        <source>Kind</source>
        <translation>Tipo</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>Duración</translation>
    </message>
    <message>
        <source>Taken</source>
        <translation>Fecha de captura</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>Fecha de grabación</translation>
    </message>
    <message>
        <source>Place</source>
        <translation>Lugar</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Cámara</translation>
    </message>
    <message>
        <source>Modified</source>
        <translation>Modificado</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Carpeta</translation>
    </message>
    <message>
        <source>Spoken language</source>
        <translation>Idioma hablado</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>Etiquetas</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Problema</translation>
    </message>
</context>
<context>
    <name>DuplicatesView</name>
    <message>
        <source>Duplicates found</source>
        <translation>Duplicados encontrados</translation>
    </message>
    <message>
        <source>Find again</source>
        <translation>Buscar de nuevo</translation>
    </message>
    <message>
        <source>Groups of duplicates</source>
        <translation>Grupos de duplicados</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
    <message>
        <source>Modified</source>
        <translation>Modificado</translation>
    </message>
    <message>
        <source>Show the others in the file manager</source>
        <translation>Mostrar los demás en el gestor de archivos</translation>
    </message>
    <message>
        <source>Check the files to keep. Trove never deletes files: remove the others in the file manager if you wish.</source>
        <translation>Marca los archivos que quieres conservar. Trove nunca borra archivos: si lo deseas, elimina los demás en el gestor de archivos.</translation>
    </message>
    <message>
        <source>Looking for duplicates…</source>
        <translation>Buscando duplicados…</translation>
    </message>
    <message>
        <source>One group of duplicates</source>
        <translation>Un grupo de duplicados</translation>
    </message>
    <message numerus="yes">
        <source>%n groups of duplicates</source>
        <translation>
            <numerusform>%n grupo de duplicados</numerusform>
            <numerusform>%n grupos de duplicados</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n files</source>
        <translation>
            <numerusform>%n archivo</numerusform>
            <numerusform>%n archivos</numerusform>
        </translation>
    </message>
    <message>
        <source>No duplicates found.</source>
        <translation>No se encontraron duplicados.</translation>
    </message>
    <message>
        <source>Space the others take</source>
        <translation>Espacio que ocupan los demás</translation>
    </message>
    <message numerus="yes">
        <source>%n photos</source>
        <translation>
            <numerusform>%n foto</numerusform>
            <numerusform>%n fotos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n recordings</source>
        <translation>
            <numerusform>%n grabación</numerusform>
            <numerusform>%n grabaciones</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n videos</source>
        <translation>
            <numerusform>%n vídeo</numerusform>
            <numerusform>%n vídeos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n notes</source>
        <translation>
            <numerusform>%n nota</numerusform>
            <numerusform>%n notas</numerusform>
        </translation>
    </message>
    <message>
        <source>exact copies</source>
        <translation>copias exactas</translation>
    </message>
    <message>
        <source>sound the same</source>
        <translation>suenan igual</translation>
    </message>
    <message>
        <source>look the same</source>
        <translation>se ven iguales</translation>
    </message>
</context>
<context>
    <name>ExampleChip</name>
    <message>
        <source>Stop searching with this file</source>
        <translation>Dejar de buscar con este archivo</translation>
    </message>
    <message>
        <source>Similar to the pasted picture</source>
        <translation>Parecido a la imagen pegada</translation>
    </message>
</context>
<context>
    <name>FoldersDialog</name>
    <message>
        <source>Folders</source>
        <translation>Carpetas</translation>
    </message>
    <message>
        <source>Trove watches these folders and keeps its index of them up to date. Removing a folder only forgets its index: your files are not touched.</source>
        <translation>Trove vigila estas carpetas y mantiene su índice al día. Quitar una carpeta solo borra su índice: tus archivos no se tocan.</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Carpeta</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Watched folders</source>
        <translation>Carpetas vigiladas</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>Añadir…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Leave out of this folder</source>
        <translation>Excluir de esta carpeta</translation>
    </message>
    <message>
        <source>One pattern per line. A pattern matches a file or folder name, or a path inside the folder; * matches anything. Examples: node_modules (that folder, wherever it is), *.tmp (every .tmp file), */node_modules/*, Raw/*</source>
        <translation>Un patrón por línea. Un patrón coincide con el nombre de un archivo o carpeta, o con una ruta dentro de la carpeta; * coincide con cualquier cosa. Ejemplos: node_modules (esa carpeta, esté donde esté), *.tmp (todos los archivos .tmp), */node_modules/*, Raw/*</translation>
    </message>
    <message>
        <source>Patterns to leave out</source>
        <translation>Patrones que excluir</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Aplicar</translation>
    </message>
    <message>
        <source>Trove skipped these files. A file is tried again when it changes; a damaged file may open in another program and be saved again.</source>
        <translation>Trove se saltó estos archivos. Un archivo se vuelve a intentar cuando cambia; un archivo dañado quizá se pueda abrir en otro programa y volver a guardar.</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <source>Files that could not be read</source>
        <translation>Archivos que no se pudieron leer</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <source>Copy the selected rows (or all) as text</source>
        <translation>Copiar las filas seleccionadas (o todas) como texto</translation>
    </message>
    <message>
        <source>Choose a folder to watch</source>
        <translation>Elige una carpeta para vigilar</translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation>Quitar carpeta</translation>
    </message>
    <message>
        <source>Stop watching {folder}?

Trove forgets what it learned about the files in it. The files themselves are not touched.</source>
        <translation>¿Dejar de vigilar {folder}?

Trove olvida lo que aprendió de sus archivos. Los archivos en sí no se tocan.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Guardando…</translation>
    </message>
    <message>
        <source>Saved; looking through the folder again.</source>
        <translation>Guardado; revisando la carpeta de nuevo.</translation>
    </message>
    <message>
        <source>{indexed} files searchable, {pending} waiting, {failed} could not be read</source>
        <translation>{indexed} archivos se pueden buscar, {pending} en espera, {failed} no se pudieron leer</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Disponible</translation>
    </message>
    <message>
        <source>Offline: not reachable now</source>
        <translation>No disponible: ahora no se puede acceder</translation>
    </message>
    <message>
        <source>Files that could not be read ({count})</source>
        <translation>Archivos que no se pudieron leer ({count})</translation>
    </message>
    <message>
        <source>Leave out of {folder}</source>
        <translation>Excluir de {folder}</translation>
    </message>
</context>
<context>
    <name>ImageView</name>
    <message>
        <source>Picture</source>
        <translation>Imagen</translation>
    </message>
    <message>
        <source>The words that matched are marked on the picture.</source>
        <translation>Las palabras que coinciden están marcadas en la imagen.</translation>
    </message>
</context>
<context>
    <name>Languages</name>
    <message>
        <source>Arabic</source>
        <translation>árabe</translation>
    </message>
    <message>
        <source>German</source>
        <translation>alemán</translation>
    </message>
    <message>
        <source>English</source>
        <translation>inglés</translation>
    </message>
    <message>
        <source>Spanish</source>
        <translation>español</translation>
    </message>
    <message>
        <source>French</source>
        <translation>francés</translation>
    </message>
    <message>
        <source>Italian</source>
        <translation>italiano</translation>
    </message>
    <message>
        <source>Japanese</source>
        <translation>japonés</translation>
    </message>
    <message>
        <source>Korean</source>
        <translation>coreano</translation>
    </message>
    <message>
        <source>Dutch</source>
        <translation>neerlandés</translation>
    </message>
    <message>
        <source>Polish</source>
        <translation>polaco</translation>
    </message>
    <message>
        <source>Portuguese</source>
        <translation>portugués</translation>
    </message>
    <message>
        <source>Russian</source>
        <translation>ruso</translation>
    </message>
    <message>
        <source>Thai</source>
        <translation>tailandés</translation>
    </message>
    <message>
        <source>Turkish</source>
        <translation>turco</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>chino</translation>
    </message>
</context>
<context>
    <name>Library</name>
    <message>
        <source>MMMM yyyy</source>
        <translation>MMMM &apos;de&apos; yyyy</translation>
    </message>
</context>
<context>
    <name>LibraryBar</name>
    <message>
        <source>1 result</source>
        <translation>1 resultado</translation>
    </message>
    <message>
        <source>{n} results</source>
        <translation>{n} resultados</translation>
    </message>
    <message>
        <source>1 item</source>
        <translation>1 elemento</translation>
    </message>
    <message>
        <source>{n} items</source>
        <translation>{n} elementos</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Todo</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>Fotos</translation>
    </message>
    <message>
        <source>Videos</source>
        <translation>Vídeos</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notas</translation>
    </message>
    <message>
        <source>By day</source>
        <translation>Por día</translation>
    </message>
    <message>
        <source>By month</source>
        <translation>Por mes</translation>
    </message>
    <message>
        <source>By year</source>
        <translation>Por año</translation>
    </message>
    <message>
        <source>Group the library</source>
        <translation>Agrupar la biblioteca</translation>
    </message>
    <message>
        <source>Tile size</source>
        <translation>Tamaño de las miniaturas</translation>
    </message>
    <message>
        <source>Kind of file</source>
        <translation>Tipo de archivo</translation>
    </message>
    <message>
        <source>Number of items</source>
        <translation>Número de elementos</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Up to date</source>
        <translation>Al día</translation>
    </message>
    <message>
        <source>Looking for changes…</source>
        <translation>Buscando cambios…</translation>
    </message>
    <message>
        <source>Indexing paused: {done}/{total} files</source>
        <translation>Indexación en pausa: {done}/{total} archivos</translation>
    </message>
    <message>
        <source>Indexing stopped</source>
        <translation>Indexación detenida</translation>
    </message>
    <message>
        <source>Indexing: {done}/{total} files</source>
        <translation>Indexando: {done}/{total} archivos</translation>
    </message>
    <message>
        <source>, {rate:.1f} files/s</source>
        <translation>, {rate:.1f} archivos/s</translation>
    </message>
    <message>
        <source>, about {seconds} s left</source>
        <translation>, quedan unos {seconds} s</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>Resultados</translation>
    </message>
    <message>
        <source>Type to search, or drop a file to find things like it.</source>
        <translation>Escribe para buscar o suelta un archivo para encontrar cosas parecidas.</translation>
    </message>
    <message>
        <source>Search status</source>
        <translation>Estado de la búsqueda</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Buscar</translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation>Duplicados</translation>
    </message>
    <message>
        <source>Path copied</source>
        <translation>Ruta copiada</translation>
    </message>
    <message>
        <source>Opening…</source>
        <translation>Abriendo…</translation>
    </message>
    <message>
        <source>Indexing status</source>
        <translation>Estado de la indexación</translation>
    </message>
    <message>
        <source>Files that could not be read</source>
        <translation>Archivos que no se pudieron leer</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>&amp;Add a folder…</source>
        <translation>&amp;Añadir una carpeta…</translation>
    </message>
    <message>
        <source>&amp;Folders and exclusions…</source>
        <translation>&amp;Carpetas y exclusiones…</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>&amp;Preferencias…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Editar</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>&amp;Buscar</translation>
    </message>
    <message>
        <source>Search with the &amp;pasted picture</source>
        <translation>Buscar con la imagen &amp;pegada</translation>
    </message>
    <message>
        <source>Clear &amp;filters</source>
        <translation>&amp;Quitar filtros</translation>
    </message>
    <message>
        <source>&amp;Result</source>
        <translation>&amp;Resultado</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>&amp;Abrir</translation>
    </message>
    <message>
        <source>Show in &amp;folder</source>
        <translation>Mostrar en la &amp;carpeta</translation>
    </message>
    <message>
        <source>&amp;Copy path</source>
        <translation>Copiar la &amp;ruta</translation>
    </message>
    <message>
        <source>Find &amp;similar</source>
        <translation>Buscar &amp;parecidos</translation>
    </message>
    <message>
        <source>&amp;Next result</source>
        <translation>Resultado &amp;siguiente</translation>
    </message>
    <message>
        <source>&amp;Previous result</source>
        <translation>Resultado a&amp;nterior</translation>
    </message>
    <message>
        <source>&amp;Indexing</source>
        <translation>&amp;Indexación</translation>
    </message>
    <message>
        <source>&amp;Pause indexing</source>
        <translation>&amp;Pausar la indexación</translation>
    </message>
    <message>
        <source>&amp;Files that could not be read…</source>
        <translation>&amp;Archivos que no se pudieron leer…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Ay&amp;uda</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>Atajos de &amp;teclado</translation>
    </message>
    <message>
        <source>&amp;About Trove</source>
        <translation>&amp;Acerca de Trove</translation>
    </message>
    <message>
        <source>No good match</source>
        <translation>No hay ninguna coincidencia buena</translation>
    </message>
    <message>
        <source>No file matches these filters</source>
        <translation>Ningún archivo cumple estos filtros</translation>
    </message>
    <message>
        <source>The shared library {library} cannot be searched now; this computer&apos;s files still are.</source>
        <translation>Ahora no se puede buscar en la biblioteca compartida {library}; los archivos de este equipo sí.</translation>
    </message>
    <message>
        <source>Trove&apos;s index was readable by other accounts on this computer ({n} files and folders); it is private to you now.</source>
        <translation>Otras cuentas de este equipo podían leer el índice de Trove ({n} archivos y carpetas); ahora solo es visible para ti.</translation>
    </message>
    <message>
        <source>Trove&apos;s index is damaged</source>
        <translation>El índice de Trove está dañado</translation>
    </message>
    <message>
        <source>Trove&apos;s index is damaged and was set aside.</source>
        <translation>El índice de Trove está dañado y se ha apartado.</translation>
    </message>
    <message>
        <source>Your files were not touched. Repair rebuilds the index from its latest backup and from what can still be read, then looks through your folders again for the rest.</source>
        <translation>Sus archivos no se han tocado. Reparar reconstruye el índice a partir de su última copia de seguridad y de lo que aún se puede leer, y luego vuelve a revisar sus carpetas para completar el resto.</translation>
    </message>
    <message>
        <source>Repair</source>
        <translation>Reparar</translation>
    </message>
    <message>
        <source>Not now</source>
        <translation>Ahora no</translation>
    </message>
    <message>
        <source>The index is damaged</source>
        <translation>El índice está dañado</translation>
    </message>
    <message>
        <source>Repairing the index…</source>
        <translation>Reparando el índice…</translation>
    </message>
    <message>
        <source>The index was repaired</source>
        <translation>El índice se ha reparado</translation>
    </message>
    <message>
        <source>Could not keep the pasted picture</source>
        <translation>No se pudo guardar la imagen pegada</translation>
    </message>
    <message>
        <source>1 file could not be read</source>
        <translation>1 archivo no se pudo leer</translation>
    </message>
    <message>
        <source>{n} files could not be read</source>
        <translation>{n} archivos no se pudieron leer</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Reanudar</translation>
    </message>
    <message>
        <source>Resume indexing</source>
        <translation>Reanudar la indexación</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pausar</translation>
    </message>
    <message>
        <source>Pause indexing (searching still works)</source>
        <translation>Pausar la indexación (se puede seguir buscando)</translation>
    </message>
    <message>
        <source>&amp;Resume indexing</source>
        <translation>&amp;Reanudar la indexación</translation>
    </message>
    <message>
        <source>Choose a folder for Trove to look through</source>
        <translation>Elige una carpeta para que Trove la revise</translation>
    </message>
    <message>
        <source>Added {folder}: Trove is looking through it.</source>
        <translation>Se añadió {folder}: Trove la está revisando.</translation>
    </message>
    <message>
        <source>Removed {folder}: its files were not touched.</source>
        <translation>Se quitó {folder}: sus archivos no se han tocado.</translation>
    </message>
    <message>
        <source>Could not open: no application for {suffix} files.</source>
        <translation>No se pudo abrir: no hay ninguna aplicación para archivos {suffix}.</translation>
    </message>
    <message>
        <source>Could not open {name}: no application for it.</source>
        <translation>No se pudo abrir {name}: no hay ninguna aplicación para él.</translation>
    </message>
    <message>
        <source>Show in folder instead</source>
        <translation>Mostrar en la carpeta</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Atajos de teclado</translation>
    </message>
    <message>
        <source>About Trove</source>
        <translation>Acerca de Trove</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Trove&lt;/h3&gt;&lt;p&gt;Finds your photos, recordings, videos and notes by what they show or say. Everything runs on this computer; nothing is sent anywhere.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Trove&lt;/h3&gt;&lt;p&gt;Encuentra tus fotos, grabaciones, vídeos y notas por lo que muestran o dicen. Todo se ejecuta en este ordenador; no se envía nada a ninguna parte.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>MediaPlayer</name>
    <message>
        <source>Video</source>
        <translation>Vídeo</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>Reproducir</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>Posición</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Tiempo</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pausar</translation>
    </message>
    <message>
        <source>Cannot play this file: {reason}</source>
        <translation>No se puede reproducir este archivo: {reason}</translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <source>The disk is full: Trove could not save its index.</source>
        <translation>El disco está lleno: Trove no pudo guardar su índice.</translation>
    </message>
    <message>
        <source>Free some space; indexing goes on by itself afterwards.</source>
        <translation>Libera algo de espacio; la indexación seguirá sola después.</translation>
    </message>
    <message>
        <source>Trove cannot write its index folder.</source>
        <translation>Trove no puede escribir en la carpeta de su índice.</translation>
    </message>
    <message>
        <source>Check that its folder can be written, then restart Trove.</source>
        <translation>Comprueba que se puede escribir en esa carpeta y reinicia Trove.</translation>
    </message>
    <message>
        <source>{folder} cannot be watched.</source>
        <translation>No se puede vigilar {folder}.</translation>
    </message>
    <message>
        <source>Choose a folder that exists and is not inside Trove&apos;s own data.</source>
        <translation>Elige una carpeta que exista y que no esté dentro de los datos de Trove.</translation>
    </message>
    <message>
        <source>{folder} is not watched.</source>
        <translation>{folder} no está vigilada.</translation>
    </message>
    <message>
        <source>Open Folders and exclusions to see the folders Trove watches.</source>
        <translation>Abre Carpetas y exclusiones para ver las carpetas que vigila Trove.</translation>
    </message>
    <message>
        <source>The system refused to watch {folder}.</source>
        <translation>El sistema se negó a vigilar {folder}.</translation>
    </message>
    <message>
        <source>Trove looks through it for changes every few minutes.</source>
        <translation>Trove la revisa cada pocos minutos en busca de cambios.</translation>
    </message>
    <message>
        <source>Trove&apos;s index is damaged and was set aside.</source>
        <translation>El índice de Trove está dañado y se apartó.</translation>
    </message>
    <message>
        <source>Repair rebuilds it; your files were not touched.</source>
        <translation>Reparar lo reconstruye; tus archivos no se tocaron.</translation>
    </message>
    <message>
        <source>Trove could not open its index or its models.</source>
        <translation>Trove no pudo abrir su índice ni sus modelos.</translation>
    </message>
    <message>
        <source>Check Preferences (search models, graphics chip), then try again.</source>
        <translation>Revisa las Preferencias (modelos de búsqueda, chip gráfico) y vuelve a intentarlo.</translation>
    </message>
    <message>
        <source>Something went wrong inside Trove.</source>
        <translation>Algo salió mal dentro de Trove.</translation>
    </message>
    <message>
        <source>Searching may still work; the log has the details for a bug report.</source>
        <translation>Puede que la búsqueda siga funcionando; el registro tiene los detalles para informar del error.</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Problema</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Cerrar</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <source>Preferences</source>
        <translation>Preferencias</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Elegir…</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Dispositivo</translation>
    </message>
    <message>
        <source>{device} (not available here)</source>
        <translation>{device} (no disponible aquí)</translation>
    </message>
    <message>
        <source>Automatic uses a graphics card when one can be used, else the processor. A graphics card needs the matching ONNX Runtime: onnxruntime-gpu for NVIDIA (CUDA), onnxruntime-directml on Windows, onnxruntime-openvino for Intel.</source>
        <translation>Automático usa una tarjeta gráfica cuando se puede y, si no, el procesador. Una tarjeta gráfica necesita el ONNX Runtime correspondiente: onnxruntime-gpu para NVIDIA (CUDA), onnxruntime-directml en Windows, onnxruntime-openvino para Intel.</translation>
    </message>
    <message>
        <source>Use the graphics chip</source>
        <translation>Usar el chip gráfico</translation>
    </message>
    <message>
        <source>Faster indexing where this computer has a graphics chip Trove can use</source>
        <translation>Indexa más rápido si este ordenador tiene un chip gráfico que Trove pueda usar</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Automático</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Hilos</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Tema</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>Igual que el sistema</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Claro</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Oscuro</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
    <message>
        <source>Shared libraries</source>
        <translation>Bibliotecas compartidas</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>Añadir…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Languages spoken in your recordings</source>
        <translation>Idiomas hablados en tus grabaciones</translation>
    </message>
    <message>
        <source>Short recordings are heard in one of these. A recording clearly in another language is still heard in its own.</source>
        <translation>Las grabaciones cortas se escuchan en uno de estos idiomas. Una grabación claramente en otro idioma se sigue escuchando en el suyo.</translation>
    </message>
    <message>
        <source>Spoken in your recordings:</source>
        <translation>Idiomas de tus grabaciones:</translation>
    </message>
    <message>
        <source>Shared libraries:</source>
        <translation>Bibliotecas compartidas:</translation>
    </message>
    <message>
        <source>The search models that came with Trove.</source>
        <translation>Los modelos de búsqueda que vienen con Trove.</translation>
    </message>
    <message>
        <source>{library}, its {there} as {here}</source>
        <translation>{library}, su {there} como {here}</translation>
    </message>
    <message>
        <source>Model pack:</source>
        <translation>Paquete de modelos:</translation>
    </message>
    <message>
        <source>Device:</source>
        <translation>Dispositivo:</translation>
    </message>
    <message>
        <source>Threads:</source>
        <translation>Hilos:</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>Tema:</translation>
    </message>
    <message>
        <source>The ones that came with Trove</source>
        <translation>Los que vienen con Trove</translation>
    </message>
    <message>
        <source>Folder of the search models</source>
        <translation>Carpeta de los modelos de búsqueda</translation>
    </message>
    <message>
        <source>Search models:</source>
        <translation>Modelos de búsqueda:</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Idioma:</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Detalles</translation>
    </message>
    <message>
        <source>Processor (CPU)</source>
        <translation>Procesador (CPU)</translation>
    </message>
    <message>
        <source>NVIDIA graphics card (CUDA)</source>
        <translation>Tarjeta gráfica NVIDIA (CUDA)</translation>
    </message>
    <message>
        <source>Graphics card (DirectML)</source>
        <translation>Tarjeta gráfica (DirectML)</translation>
    </message>
    <message>
        <source>Apple Neural Engine and GPU (Core ML)</source>
        <translation>Neural Engine y GPU de Apple (Core ML)</translation>
    </message>
    <message>
        <source>Intel (OpenVINO)</source>
        <translation>Intel (OpenVINO)</translation>
    </message>
    <message>
        <source>Choose a model pack folder</source>
        <translation>Elige una carpeta de paquete de modelos</translation>
    </message>
    <message>
        <source>This folder is not a model pack: it has no {name}.</source>
        <translation>Esta carpeta no es un paquete de modelos: no tiene {name}.</translation>
    </message>
    <message>
        <source>{name} {version}: {models}</source>
        <translation>{name} {version}: {models}</translation>
    </message>
</context>
<context>
    <name>PreviewPane</name>
    <message>
        <source>Photo</source>
        <translation>Foto</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>Vídeo</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Nota</translation>
    </message>
    <message>
        <source>File name</source>
        <translation>Nombre del archivo</translation>
    </message>
    <message>
        <source>Preview status</source>
        <translation>Estado de la vista previa</translation>
    </message>
    <message>
        <source>Transcript</source>
        <translation>Transcripción</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Abrir</translation>
    </message>
    <message>
        <source>Open with the default app</source>
        <translation>Abrir con la aplicación predeterminada</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>Mostrar en la carpeta</translation>
    </message>
    <message>
        <source>Show the file selected in its folder</source>
        <translation>Mostrar el archivo seleccionado en su carpeta</translation>
    </message>
    <message>
        <source>Copy path</source>
        <translation>Copiar la ruta</translation>
    </message>
    <message>
        <source>Copy the file&apos;s full path</source>
        <translation>Copiar la ruta completa del archivo</translation>
    </message>
    <message>
        <source>Find similar</source>
        <translation>Buscar parecidos</translation>
    </message>
    <message>
        <source>Search for files that look or sound like this one</source>
        <translation>Buscar archivos que se vean o suenen como este</translation>
    </message>
    <message>
        <source>Pick a result to see it here.</source>
        <translation>Elige un resultado para verlo aquí.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Cargando…</translation>
    </message>
    <message>
        <source>Cannot show this picture: {reason}</source>
        <translation>No se puede mostrar esta imagen: {reason}</translation>
    </message>
    <message>
        <source>Cannot read this note: {reason}</source>
        <translation>No se puede leer esta nota: {reason}</translation>
    </message>
    <message>
        <source>Not in the index (moved or deleted?)</source>
        <translation>No está en el índice (¿se movió o se borró?)</translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation>error desconocido</translation>
    </message>
    <message>
        <source>Could not be read: {reason}</source>
        <translation>No se pudo leer: {reason}</translation>
    </message>
    <message>
        <source>Missing: its folder is offline</source>
        <translation>Falta: su carpeta no está disponible</translation>
    </message>
    <message>
        <source>Not indexed yet</source>
        <translation>Aún no está indexado</translation>
    </message>
    <message>
        <source>Click to play from here</source>
        <translation>Haz clic para reproducir desde aquí</translation>
    </message>
</context>
<context>
    <name>RangeChooser</name>
    <message>
        <source>Start of the part to search with</source>
        <translation>Inicio del fragmento con el que buscar</translation>
    </message>
    <message>
        <source>End of the part to search with</source>
        <translation>Fin del fragmento con el que buscar</translation>
    </message>
    <message>
        <source>Around here</source>
        <translation>Por aquí</translation>
    </message>
    <message>
        <source>Choose the part around the playhead</source>
        <translation>Elegir el fragmento en torno a la posición actual</translation>
    </message>
    <message>
        <source>Choose from {seconds} s before to {seconds} s after the position</source>
        <translation>Elegir desde {seconds} s antes hasta {seconds} s después de la posición</translation>
    </message>
    <message>
        <source>Search with this part</source>
        <translation>Buscar con este fragmento</translation>
    </message>
    <message>
        <source>Find other files that sound or look like this part</source>
        <translation>Buscar otros archivos que suenen o se vean como este fragmento</translation>
    </message>
    <message>
        <source>&amp;From</source>
        <translation>&amp;Desde</translation>
    </message>
    <message>
        <source>&amp;to</source>
        <translation>&amp;hasta</translation>
    </message>
</context>
<context>
    <name>ResultDelegate</name>
    <message>
        <source>at {time}</source>
        <translation>en {time}</translation>
    </message>
    <message>
        <source>in the picture: “{words}”</source>
        <translation>en la imagen: «{words}»</translation>
    </message>
    <message>
        <source>name: {name}</source>
        <translation>nombre: {name}</translation>
    </message>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} s</translation>
    </message>
    <message>
        <source>tag: {label}</source>
        <translation>etiqueta: {label}</translation>
    </message>
    <message>
        <source>tag: {label} ({percent})</source>
        <translation>etiqueta: {label} ({percent})</translation>
    </message>
    <message>
        <source>shows: {things}</source>
        <translation>muestra: {things}</translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the names in a list: 、 in Chinese</comment>
        <translation>, </translation>
    </message>
    <message>
        <source>sounds like “{words}”</source>
        <translation>suena como «{words}»</translation>
    </message>
    <message>
        <source>looks like “{words}”</source>
        <translation>se parece a «{words}»</translation>
    </message>
    <message>
        <source>sounds like {what}</source>
        <translation>suena como {what}</translation>
    </message>
    <message>
        <source>sounds similar</source>
        <translation>suena parecido</translation>
    </message>
    <message>
        <source>From the shared library {library}</source>
        <translation>De la biblioteca compartida {library}</translation>
    </message>
    <message>
        <source>looks like {what}</source>
        <translation>se parece a {what}</translation>
    </message>
    <message>
        <source>looks similar</source>
        <translation>se ve parecido</translation>
    </message>
</context>
<context>
    <name>ResultsModel</name>
    <message>
        <source>Photo</source>
        <translation>Foto</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>Vídeo</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Nota</translation>
    </message>
    <message>
        <source>Strong match</source>
        <translation>Coincidencia fuerte</translation>
    </message>
    <message>
        <source>Good match</source>
        <translation>Buena coincidencia</translation>
    </message>
    <message>
        <source>Weak match</source>
        <translation>Coincidencia débil</translation>
    </message>
    <message>
        <source>Best matches</source>
        <translation>Mejores coincidencias</translation>
    </message>
    <message>
        <source>No good match</source>
        <translation>No hay ninguna coincidencia buena</translation>
    </message>
    <message>
        <source>Other possible matches</source>
        <translation>Otras coincidencias posibles</translation>
    </message>
</context>
<context>
    <name>SearchBar</name>
    <message>
        <source>Any folder</source>
        <translation>Cualquier carpeta</translation>
    </message>
    <message>
        <source>Trove cannot read this search. Try plain words, like “dog on a beach”.</source>
        <translation>Trove no entiende esta búsqueda. Prueba con palabras sencillas, como «perro en una playa».</translation>
    </message>
    <message>
        <source>A quotation mark is not closed: add the closing one, or remove it.</source>
        <translation>Hay unas comillas sin cerrar: añade las de cierre o quítalas.</translation>
    </message>
    <message>
        <source>A + or − needs something after it: add a word, or remove the sign.</source>
        <translation>Un + o un − necesita algo detrás: añade una palabra o quita el signo.</translation>
    </message>
    <message>
        <source>A weight is a positive number and a * before a word, as in 2*dog.</source>
        <translation>Un peso es un número positivo y un * delante de una palabra, como en 2*perro.</translation>
    </message>
    <message>
        <source>The quotation marks hold nothing: type words between them, or remove them.</source>
        <translation>Las comillas están vacías: escribe palabras entre ellas o quítalas.</translation>
    </message>
    <message>
        <source>kind: takes photo, audio, video or note; or use the buttons below the box.</source>
        <translation>kind: admite photo, audio, video o note; también puedes usar los botones bajo el cuadro.</translation>
    </message>
    <message>
        <source>Write a date as year-month-day, as in after:2024-05-01, or use the date filter.</source>
        <translation>Escribe la fecha como año-mes-día, como en after:2024-05-01, o usa el filtro de fecha.</translation>
    </message>
    <message>
        <source>Write a size as a number and a unit, as in size&gt;10MB.</source>
        <translation>Escribe el tamaño como un número y una unidad, como en size&gt;10MB.</translation>
    </message>
    <message>
        <source>Write a part as start-end in minutes:seconds, as in 0:12-0:20, the end last.</source>
        <translation>Escribe un fragmento como inicio-fin en minutos:segundos, como en 0:12-0:20, con el fin después del inicio.</translation>
    </message>
    <message>
        <source>A filter cannot take a + , − or weight: remove the sign before it.</source>
        <translation>Un filtro no admite +, − ni peso: quita el signo que lleva delante.</translation>
    </message>
    <message>
        <source>No such file. Check its name, or drop the file on the window.</source>
        <translation>No existe ese archivo. Revisa el nombre o suelta el archivo en la ventana.</translation>
    </message>
    <message>
        <source>Name one town or country after place:, as in place:Lisbon.</source>
        <translation>Escribe una ciudad o un país después de place:, por ejemplo place:Lisboa.</translation>
    </message>
    <message>
        <source>Name a folder after in:, or choose one with the folder filter.</source>
        <translation>Escribe una carpeta después de in: o elige una con el filtro de carpeta.</translation>
    </message>
    <message>
        <source>This file cannot be used to search with. Try another one.</source>
        <translation>Este archivo no sirve para buscar. Prueba con otro.</translation>
    </message>
    <message>
        <source>Type what you are looking for.</source>
        <translation>Escribe lo que buscas.</translation>
    </message>
    <message>
        <source>Everything is subtracted: add something to look for, without a − before it.</source>
        <translation>Todo está restado: añade algo que buscar, sin un − delante.</translation>
    </message>
    <message>
        <source>{name} was not found. Check its name, or drop the file on the window.</source>
        <translation>No se encontró {name}. Revisa el nombre o suelta el archivo en la ventana.</translation>
    </message>
    <message>
        <source>{name} cannot be used to search with. Try another file.</source>
        <translation>{name} no sirve para buscar. Prueba con otro archivo.</translation>
    </message>
    <message>
        <source>Similar to {name}</source>
        <translation>Parecido a {name}</translation>
    </message>
    <message>
        <source>Part of {name} from {start}</source>
        <translation>Fragmento de {name} desde {start}</translation>
    </message>
    <message>
        <source>Part of {name} {start}–{end}</source>
        <translation>Fragmento de {name} {start}–{end}</translation>
    </message>
    <message>
        <source>Only results inside one watched folder</source>
        <translation>Solo resultados dentro de una carpeta vigilada</translation>
    </message>
    <message>
        <source>Any place</source>
        <translation>Cualquier lugar</translation>
    </message>
    <message>
        <source>Only photos and videos taken near one place</source>
        <translation>Solo fotos y vídeos tomados cerca de un lugar</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <source>Search photos, recordings, videos and notes — or drop a file</source>
        <translation>Busca fotos, grabaciones, vídeos y notas, o suelta un archivo</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Buscar</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>Fotos</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>Vídeo</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notas</translation>
    </message>
    <message>
        <source>Show only %1</source>
        <translation>Mostrar solo %1</translation>
    </message>
    <message>
        <source>Folder filter</source>
        <translation>Filtro de carpeta</translation>
    </message>
    <message>
        <source>Date filter</source>
        <translation>Filtro de fecha</translation>
    </message>
    <message>
        <source>Place filter</source>
        <translation>Filtro de lugar</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>Cualquier fecha</translation>
    </message>
    <message>
        <source>Past week</source>
        <translation>Última semana</translation>
    </message>
    <message>
        <source>Past month</source>
        <translation>Último mes</translation>
    </message>
    <message>
        <source>Past year</source>
        <translation>Último año</translation>
    </message>
    <message>
        <source>Custom range…</source>
        <translation>Rango personalizado…</translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation>Quitar filtros</translation>
    </message>
</context>
<context>
    <name>SharedLibraryDialog</name>
    <message>
        <source>Add a shared library</source>
        <translation>Añadir una biblioteca compartida</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Dirección</translation>
    </message>
    <message>
        <source>Its folder on that computer</source>
        <translation>Su carpeta en ese equipo</translation>
    </message>
    <message>
        <source>The same folder on this computer</source>
        <translation>La misma carpeta en este equipo</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Elegir…</translation>
    </message>
    <message>
        <source>Trove searches it along with this computer&apos;s files and never changes it. The computer that indexes it keeps it up to date.</source>
        <translation>Trove la busca junto con los archivos de este equipo y nunca la modifica. El equipo que la indexa la mantiene al día.</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>Dirección:</translation>
    </message>
    <message>
        <source>Its folder there:</source>
        <translation>Su carpeta allí:</translation>
    </message>
    <message>
        <source>The same folder here:</source>
        <translation>La misma carpeta aquí:</translation>
    </message>
</context>
<context>
    <name>Toast</name>
    <message>
        <source>Dismiss</source>
        <translation>Cerrar</translation>
    </message>
</context>
<context>
    <name>WelcomeDialog</name>
    <message>
        <source>a cup of coffee</source>
        <translation>una taza de café</translation>
    </message>
    <message>
        <source>watering the tomato plants</source>
        <translation>el viaje a la playa</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Welcome to Trove</source>
        <translation>Bienvenido a Trove</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Find anything by describing it&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;Encuentra cualquier cosa describiéndola&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>Trove looks through your photos, recordings, videos and notes so you can find them by what they show or say: “{photo}”, “{recording}”, or a picture like this one.

Everything happens on this computer. Nothing you own is sent anywhere.

Which folders should Trove look through? You can search as soon as it starts; it keeps working in the background.</source>
        <translation>Trove revisa tus fotos, grabaciones, vídeos y notas para que las encuentres por lo que muestran o dicen: «{photo}», «{recording}» o una imagen parecida a esta.

Todo ocurre en este ordenador. Nada tuyo se envía a ninguna parte.

¿Qué carpetas debe revisar Trove? Puedes buscar en cuanto empiece; sigue trabajando en segundo plano.</translation>
    </message>
    <message>
        <source>Try it on the demo:</source>
        <translation>Pruébalo con la demo:</translation>
    </message>
    <message>
        <source>“{query}”</source>
        <translation>«{query}»</translation>
    </message>
    <message>
        <source>Search the demo for {query}</source>
        <translation>Buscar {query} en la demo</translation>
    </message>
    <message>
        <source>Add another folder…</source>
        <translation>Añadir otra carpeta…</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Empezar</translation>
    </message>
    <message>
        <source>Just show me the demo</source>
        <translation>Solo enséñame la demo</translation>
    </message>
    <message>
        <source>Choose a folder for Trove to look through</source>
        <translation>Elige una carpeta para que Trove la revise</translation>
    </message>
</context>
<context>
    <name>model</name>
    <message>
        <source>New</source>
        <translation>Nuevo</translation>
    </message>
</context>
</TS>
